"""Service plugins: discovered by entry point; unknown or broken ones stop start-up."""

import subprocess
import sys
import textwrap

import pytest

from crm_shared.plugins import PluginError, ServicePlugin, discover


def test_the_services_are_installed_plugins():
    plugins = discover("all")
    assert [p.name for p in plugins] == ["console", "customers", "deals", "leads", "notify", "reception", "reports"]
    assert all(isinstance(p, ServicePlugin) for p in plugins)


def test_selection_by_name():
    assert [p.name for p in discover("leads,notify")] == ["leads", "notify"]


def test_unknown_plugin_fails_fast_with_the_name():
    with pytest.raises(PluginError, match="unknown service plugin.*nope"):
        discover("leads,nope")


@pytest.fixture
def broken_dist(tmp_path, monkeypatch):
    """A real installed distribution (dist-info on sys.path) with bad entry points."""
    info = tmp_path / "crm_broken-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crm-broken\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(
        "[crm.services]\nbroken = crm_broken_mod:service\nnotaplugin = crm_broken_other:service\n"
        "misnamed = crm_broken_other:named\n"
    )
    (tmp_path / "crm_broken_mod.py").write_text("raise ImportError('missing dependency foo')\n")
    (tmp_path / "crm_broken_other.py").write_text(textwrap.dedent("""
        from crm_shared.plugins import ServicePlugin
        service = object()
        class Named(ServicePlugin):
            name = "other"
        named = Named()
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_broken_plugin_fails_fast(broken_dist):
    with pytest.raises(PluginError, match="'broken'.*failed to load.*missing dependency foo"):
        discover("broken")
    with pytest.raises(PluginError, match="not a ServicePlugin"):
        discover("notaplugin")
    with pytest.raises(PluginError, match="calls itself 'other'"):
        discover("misnamed")


def test_cli_refuses_unknown_service_before_serving():
    proc = subprocess.run([sys.executable, "-m", "crm_shared", "serve", "--services", "leads,nope"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown service plugin(s): nope" in proc.stderr
