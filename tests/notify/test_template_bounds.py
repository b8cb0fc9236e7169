"""Issue 14 (500s from odd input): whatever a template does wrong when it runs is a RenderError
(the caller's 422), and nothing it builds grows past the output bound in any one step.

`'x' | truncate(1, leeway=-5)` tripped an assert inside Jinja and answered 500 at PUT; and
`'x'.ljust(10**9)`, `'%999999999s' % x` or a join with a long separator allocated gigabytes
before the output bound was ever looked at. The cases below use sizes that are harmless to
compute, sliced down to a few characters, so they show the missing checks without risk."""

import pytest

from crm_notify.templates.defaults import DEFAULTS, VARIABLES
from crm_notify.templates.engine import RenderError, render

pytestmark = pytest.mark.unit

GROWING = [
    "{{ ('x'.ljust(1000000))[:3] }}",
    "{{ ('x'.center(30000))[:3] }}",
    "{{ ('%1000000s' % 'x')[:3] }}",
    "{{ ('%*s' % (1000000, 'x'))[:3] }}",
    "{{ ('{:>1000000}'.format('x'))[:3] }}",
    "{{ ('{0:>{1}}'.format('x', 1000000))[:3] }}",
    "{{ ('%1000000s'|format('x'))[:3] }}",
    "{{ (range(2000)|join('x' * 1000))[:3] }}",
    "{{ ('x' * 1000).join(range(2000)|map('string'))[:3] }}",
    "{{ (('ab' * 5000).replace('', 'yy'))[:3] }}",
    "{{ (('ab' * 5000)|replace('', 'yy'))[:3] }}",
    "{{ ((('a\\n' * 5000))|indent('y' * 100))[:3] }}",
    "{{ (('x' * 10000) * 10)[:3] }}",
    "{{ ([1] * 100000)|length }}",
    "{{ ('\\t' * 1000).expandtabs(1000)[:3] }}",
    "{{ ([1]|batch(1000000, 0)|list)[0][:3] }}",
    "{{ lipsum(5) }}",
]
FAILING = [
    "{{ 'x'|truncate(1, leeway=-5) }}",
    "{{ 'x'|wordwrap(0) }}",
    "{{ 1/0 }}",
    "{{ ((10 ** 64) ** 64) ** 64 }}",
]


@pytest.mark.parametrize("source", GROWING + FAILING)
def test_a_template_that_grows_or_breaks_is_a_render_error(source):
    with pytest.raises(RenderError):
        render(source, {})


@pytest.mark.parametrize(("source", "want"), [
    ("{{ '%s 元'|format(2980000) }}", "2980000 元"),
    ("{{ '{:,}'.format(2980000) }}", "2,980,000"),
    ("{{ '%.2f' % 1.5 }}", "1.50"),
    ("{{ '价格*%s元' % 2980000 }}", "价格*2980000元"),
    ("{{ 'ab'.ljust(4, '.') }}|", "ab..|"),
    ("{{ 2 ** 10 }} {{ 'ab' * 3 }}", "1024 ababab"),
    ("{{ items|join('、') }}", "甲、乙"),
    ("{{ '、'.join(items|map('upper')) }}", "甲、乙"),
    ("{% for k, v in summary|dictsort %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"),
    ("{{ name|replace('先生', '女士') }}", "王女士"),
    ("{{ text|indent(2, first=True) }}", "a\n  b"),
])
def test_ordinary_templates_still_render(source, want):
    data = {"items": ["甲", "乙"], "summary": {"b": 2, "a": 1}, "name": "王先生", "text": "a\nb"}
    assert render(source, data) == want


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_built_in_template_renders_with_its_sample_data(key):
    subject, body = DEFAULTS[key]
    assert render(body, VARIABLES[key[0]])
    if subject:
        assert render(subject, VARIABLES[key[0]])
