"""One module per screen; each exposes `router` (an APIRouter using web.ConsoleRoute)."""

from crm_console.views import shell

SCREENS = [shell.router]
from crm_console.views import front_desk, leads, my_day; SCREENS += [front_desk.router, my_day.router, leads.router]  # noqa: E402,E702 (sales-floor screens)
from crm_console.views import lead_card; SCREENS += [lead_card.router]  # noqa: E402,E702 (the lead card, after the list's fixed paths)
from crm_console.views import manager, manager_desk, partner; SCREENS += [partner.router, manager.router, manager_desk.router]  # noqa: E402,E702 (partner portal, manager board)
from crm_console.views import manager_branches, manager_staff; SCREENS += [manager_staff.router, manager_branches.router]  # noqa: E402,E702 (staff and branch administration)
from crm_console.views import desk_channel, manager_channels; SCREENS += [desk_channel.router, manager_channels.router]  # noqa: E402,E702 (partner accounts and referrers)
from crm_console.views import imports; SCREENS += [imports.router]  # noqa: E402,E702 (the customer sheet import)
from crm_console.views import archive_import, unit_import; SCREENS += [archive_import.router, unit_import.router]  # noqa: E402,E702 (sheet imports: owners, units; before the archive card's /{id})
from crm_console.views import archive_card, archives, care_day, complaints; SCREENS += [care_day.router, archives.router, archive_card.router, complaints.router]  # noqa: E402,E702 (customers: archives, the account manager's day, complaints)
from crm_console.views import approvals, deal_card, payouts_screen, subscribe, unit_board; SCREENS += [unit_board.router, deal_card.router, subscribe.router, approvals.router, payouts_screen.router]  # noqa: E402,E702 (deals: unit board, deal card, subscription, approvals, payouts)
from crm_console.views import audits, exports, report_books; SCREENS += [audits.router, exports.router, report_books.router]  # noqa: E402,E702 (audits of reveals, controlled exports, finance's reports)
