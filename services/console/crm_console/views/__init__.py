"""One module per screen; each exposes `router` (an APIRouter using web.ConsoleRoute)."""

from crm_console.views import shell

SCREENS = [shell.router]
