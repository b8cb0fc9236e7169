"""Every installed service plugin follows the one skeleton (docs/architecture.md, "A service").

Walks the plugins of entry-point group `crm.services` and checks what a reader relies on:
the same files with the same roles, settings declared, subscription tables of registered
event classes, writes with events only through the platform, declared timers, no state in
module globals, and domain errors (not HTTP problems) below the views.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.config import ServiceSettings, Settings, service_settings
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin, discover
from crm_shared.timers import Retention, Timer

PLUGINS = discover("all")
IDS = [p.name for p in PLUGINS]
# The console owns no data and is an HTTP client of the other services: its modules are screens.
HTTP_CLIENTS = {"console"}
OUTBOX_INTERNALS = ("pending_events", "new_document", "with_events", "events_written", "ctx.inserted(", "new_event(")


def package_of(plugin: ServicePlugin) -> ModuleType:
    return importlib.import_module(type(plugin).__module__.rsplit(".", 1)[0])


def modules_of(plugin: ServicePlugin) -> list[ModuleType]:
    pkg = package_of(plugin)
    found = [pkg]
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        found.append(importlib.import_module(info.name))
    return found


def source(module: ModuleType) -> str:
    return Path(module.__file__).read_text(encoding="utf-8") if module.__file__ else ""


def loaded_context(plugin: ServicePlugin) -> ServiceContext:
    """A context with the plugin's settings loaded, enough to ask it for its timers."""
    settings = Settings(environment="test")
    config = service_settings(plugin.settings_model, plugin.name, settings, plugin.settings)
    return ServiceContext(plugin.name, settings, db=None, js=None, relay=None, config=config)  # type: ignore[arg-type]


def test_every_service_is_checked():
    assert {"leads", "reception", "notify", "reports", "console"} <= set(IDS)


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_the_skeleton_files_are_there(plugin):
    root = Path(package_of(plugin).__file__).parent
    assert (root / "plugin.py").is_file() and (root / "settings.py").is_file()
    if plugin.subscriptions():
        assert (root / "subscriptions.py").is_file(), "the subscription table lives in subscriptions.py"


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_settings_are_declared_and_load_with_the_inherited_fields(plugin):
    assert issubclass(plugin.settings_model, ServiceSettings) and plugin.settings_model is not ServiceSettings
    root = Settings(environment="test", default_timezone="Asia/Urumqi")
    config = service_settings(plugin.settings_model, plugin.name, root)
    assert (config.environment, config.default_timezone) == ("test", "Asia/Urumqi")
    for name, field in plugin.settings_model.model_fields.items():
        if name not in ("environment", "default_timezone"):
            assert field.description, f"{plugin.name}: setting {name!r} has no description"


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_subscriptions_name_registered_event_classes(plugin):
    for table in plugin.subscriptions():
        assert isinstance(table, SubscriptionTable)
        assert table.classes, f"{plugin.name}: empty subscription table {table.consumer!r}"
        table.check(registry())
        assert table.batch is not None or set(table.handlers) == set(table.classes)


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_events_are_written_only_through_the_platform(plugin):
    if plugin.produces:
        assert plugin.outbox_collections, f"{plugin.name} produces events but registers no outbox collection"
    for module in modules_of(plugin):
        text = source(module)
        for needle in OUTBOX_INTERNALS:
            assert needle not in text, f"{module.__name__} uses {needle!r}: write through ctx.aggregate(...)"


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_timers_are_declared_not_hand_looped(plugin):
    timers = plugin.timers(loaded_context(plugin))
    assert all(isinstance(t, Timer) for t in timers)
    assert len({t.name for t in timers}) == len(timers)
    assert all(isinstance(r, Retention) for r in plugin.retention(loaded_context(plugin)))
    for module in modules_of(plugin):
        text = source(module)
        assert "leases.acquire" not in text, f"{module.__name__} takes a lease itself: declare a Timer"
        assert "while True" not in text or "asyncio.sleep" not in text, f"{module.__name__} runs its own loop"


@pytest.mark.parametrize("plugin", PLUGINS, ids=IDS)
def test_no_state_in_module_globals(plugin):
    """Per-process objects live on the service's context (`ctx.state`), not in module globals."""
    for module in modules_of(plugin):
        for name, value in vars(module).items():
            if name.startswith("__") or isinstance(value, ModuleType | type):
                continue
            if isinstance(value, dict | list | set) and not value:
                pytest.fail(f"{module.__name__}.{name} is an empty mutable container at module level: keep it on ctx.state")


@pytest.mark.parametrize("plugin", [p for p in PLUGINS if p.name not in HTTP_CLIENTS], ids=lambda p: p.name)
def test_below_the_views_errors_are_domain_errors(plugin):
    """Only views may speak HTTP; services, rules, subscribers and timers raise crm_shared.errors."""
    for module in modules_of(plugin):
        path = Path(module.__file__ or "")
        if path.name in ("views.py", "plugin.py") or path.parent.name == "views":
            continue
        tree = ast.parse(source(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("crm_shared.http.problems", "crm_shared.http.concurrency"):
                names = {a.name for a in node.names}
                assert not names & {"Problem", "not_found", "forbidden", "stale"}, \
                    f"{module.__name__} imports {sorted(names)} from {node.module}: raise crm_shared.errors instead"
