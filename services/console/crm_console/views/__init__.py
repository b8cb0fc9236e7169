"""One module per screen; each exposes `router` (an APIRouter using web.ConsoleRoute)."""

from crm_console.views import shell

SCREENS = [shell.router]
from crm_console.views import front_desk, leads, my_day; SCREENS += [front_desk.router, my_day.router, leads.router]  # noqa: E402,E702 (sales-floor screens)
from crm_console.views import manager, manager_desk, partner; SCREENS += [partner.router, manager.router, manager_desk.router]  # noqa: E402,E702 (partner portal, manager board)
