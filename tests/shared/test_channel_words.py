"""A lead's channel says one word everywhere people read it: the console's lead list, lead card and manager
board, the reports' CSV/XLSX exports and charts, the digest message, the customer list export and the import
report. Each place is asked the way it words a channel; any two that disagree fail here."""

from __future__ import annotations

from typing import get_args

import pytest

from crm_console import i18n
from crm_console.views import imports as console_imports
from crm_console.views import leads as console_leads
from crm_console.views.manager import report_table
from crm_leads.exports import service as lead_exports
from crm_leads.imports import columns as import_columns
from crm_leads.imports import messages as import_messages
from crm_notify.templates import words as notify_words
from crm_reports.exports.present import Names, present
from crm_reports.exports.tables import LABELS, table
from crm_reports.exports.words import CHANNELS as REPORT_CHANNELS
from crm_reports.exports.words import word as report_word
from crm_shared.events.leads import Channel
from crm_shared.words import CHANNELS, LEAD_STATUSES
from crm_reports.exports.words import STAGES as REPORT_STAGES
from crm_leads.leads.models import Status

pytestmark = pytest.mark.unit

CODES = get_args(Channel)


class _Screen:
    """What the console's report table asks of a screen: its words in one language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def t(self, key: str) -> str:
        return i18n.translate(key, self.locale)


def _console_board(code: str, locale: str) -> tuple[str, str]:
    """The manager board's words for a channel: as a daily-traffic column and as a funnel group."""
    heads, _, _ = report_table(_Screen(locale), [{"by_channel": {code: 1}}], {})
    _, rows, _ = report_table(_Screen(locale), [{"group": code}], {})
    return heads[0].split(":")[-1], rows[0][0][0]


def _report_export(code: str, locale: str) -> tuple[str, str]:
    """The reports' export words for a channel: a daily-traffic header's key and a funnel row's group."""
    columns, _ = table(present("daily-traffic", {"items": [{"date": "2026-03-10", "by_channel": {code: 1}}]}, Names(), locale))
    _, rows = table(present("funnel", {"group_by": "channel", "items": [{"group": code}]}, Names(), locale))
    return columns[-1].split(".", 1)[1], rows[0][0]


def _places(code: str, locale: str) -> dict[str, str]:
    board_column, board_group = _console_board(code, locale)
    export_column, export_group = _report_export(code, locale)
    digest = notify_words.digest_lines({"by_channel": {code: 1}}, locale)
    places = {
        "console lead list and card (src.*)": i18n.translate(f"src.{code}", locale),
        "console manager board column": board_column,
        "console manager board group": board_group,
        "reports export column": export_column,
        "reports export group": export_group,
        "reports word table": report_word(REPORT_CHANNELS, locale, code),
        "notify digest": digest[0].split(notify_words.LIST_SEP[locale][0], 1)[1].rsplit(" ", 1)[0],
        "leads import report": import_messages.word(f"channel.{code}", locale),
    }
    if locale == "zh-CN":
        places["reports chart label"] = LABELS[code]
        places["leads customer list export"] = lead_exports.CHANNELS["zh-CN"][code]
    return places


def test_the_vocabulary_names_every_channel_a_lead_can_have():
    for locale in ("zh-CN", "en"):
        assert set(CHANNELS[locale]) == set(CODES), locale
        assert len(set(CHANNELS[locale].values())) == len(CODES), f"two channels share a word in {locale}"
    assert set(console_leads.CHANNELS) == set(CODES) and set(console_imports.CHANNELS) == set(CODES)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("code", CODES)
def test_every_place_says_the_same_word_for_a_channel(code: str, locale: str):
    places = _places(code, locale)
    said = {place: word.casefold() for place, word in places.items()}  # English inside a sentence is lower case
    assert set(said.values()) == {CHANNELS[locale][code].casefold()}, places


def test_a_channel_word_read_in_an_export_imports_back_as_that_channel():
    """A sheet exported and imported again keeps its channels: the import knows every word the exports say."""
    for locale in ("zh-CN", "en"):
        for code, word in CHANNELS[locale].items():
            assert import_columns.channel_of(word) == code, (locale, word)


def test_the_import_screen_lists_the_words_the_lists_show():
    hint = i18n.translate("imp.help", "zh-CN")
    assert all(CHANNELS["zh-CN"][c] in hint for c in CODES if c != "import"), hint


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("status", get_args(Status))
def test_every_place_says_the_same_word_for_a_leads_status(status: str, locale: str):
    """洽谈中 on the lead list is 洽谈中 in the funnel export and the customer list export (it was 谈判中 there)."""
    places = {"console lead list and card": i18n.translate(f"lead.status.{status}", locale),
              "reports funnel stage": report_word(REPORT_STAGES, locale, status)}
    if locale == "zh-CN":
        places["leads customer list export"] = lead_exports.STATUS_NAMES[status]
    if status in ("new", "contacted", "negotiating"):  # the board's other stage keys are its count columns
        places["console manager board stage"] = i18n.translate(f"mgr.col.{status}", locale)
    assert set(places.values()) == {LEAD_STATUSES[locale][status]}, places
