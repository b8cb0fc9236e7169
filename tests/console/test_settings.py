"""The console's settings come from `CRM_CONSOLE__*` into its context; production refuses the dev sign-in."""

from crm_shared.http.auth import mint_token

from crm_console.plugin import ConsoleService
from crm_console.settings import ConsoleSettings
from crm_console.state import ConsoleState
from tests.support.runtime import isolated_settings, running

STRONG = "s" * 40


async def test_settings_are_read_from_the_nested_variables_into_the_context(urls, monkeypatch):
    monkeypatch.setenv("CRM_CONSOLE__IDENTITY", "proxy")
    monkeypatch.setenv("CRM_CONSOLE__SESSION_HOURS", "8")
    settings = isolated_settings(*urls)
    async with running([ConsoleService()], settings) as (app, client):
        ctx = app.state.contexts["console"]
        assert (ctx.config.identity, ctx.config.session_hours, ctx.config.environment) == ("proxy", 8, "test")
        token = mint_token(settings, "rx-1", "reception", ["br-1"])
        home = await client.get("/console", headers={"Authorization": f"Bearer {token}"})
        assert (home.status_code, home.headers["location"]) == (303, "/console/front-desk")
        assert (await client.get("/console/signin")).status_code == 401  # no picker behind a proxy


async def test_production_refuses_the_dev_sign_in(urls):
    settings = isolated_settings(*urls, environment="production", jwt_secret=STRONG, phone_hash_key=STRONG,
                                 phone_seal_key=STRONG)
    async with running([ConsoleService(ConsoleSettings(identity="dev"))], settings) as (app, client):
        assert app.state.contexts["console"].config.environment == "production"
        assert (await client.get("/console/signin")).status_code == 401
        signin = await client.post("/console/signin", data={"who": "admin"})
        assert signin.status_code == 403 and "crm_console_token" not in signin.headers.get("set-cookie", "")


async def test_the_page_cache_belongs_to_the_running_console(urls):
    loads = []

    async def load():
        loads.append(1)
        return {"id": "br-1"}

    async with running([ConsoleService()], isolated_settings(*urls)) as (app, _):
        state = app.state.contexts["console"].state
        assert isinstance(state, ConsoleState)
        assert await state.cached(("branch", "br-1"), 60, load) == await state.cached(("branch", "br-1"), 60, load)
        assert len(loads) == 1
    async with running([ConsoleService()], isolated_settings(*urls)) as (app, _):
        assert app.state.contexts["console"].state.cache == {}
