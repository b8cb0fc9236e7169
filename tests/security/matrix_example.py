"""How a service part adds its endpoints to the security matrix (a template; it decides nothing).

A module `tests/security/matrix_<part>.py` is read by `world.py` and `test_matrix.py`. It defines:

- `TABLE`: lines in the format of `test_matrix.TABLE` (7 roles: admin manager consultant reception
  finance partner integrator; cells `2xx` `403` `404` `409`, comma-separated for own,other,foreign;
  omitted `other` is as `own`, omitted `foreign` is 404);
- `BODIES`: `{(METHOD, path): async builder(case) -> {"json": ...} or {"files": ..., "data": ...}}`, a
  valid request for `case.side` (the target's branch) — only the rules should decide the answer;
- `KINDS`: `{kind: async builder(case) -> id}`, the object a path parameter names for `case.target`:
  `own` the caller's own (c1's, partner p1's), `other` a colleague's (c2's, p2's), `foreign` the other
  branch's. Build a fresh one when `case.fresh` (the call will change it), else reuse one cached with
  `case.side.put(kind, key, id)` / `case.side.objects[kind][key]` (cached objects also feed the leak checks:
  `foreign_markers`);
- `PARAMS`: `{path parameter: kind}`; optional `QUERY` (`{query parameter: async builder(case)}` for
  required query parameters), `SPECIAL_KIND` (`{(METHOD, path): kind}`), `FLOOR` (kinds a partner must never
  see in any answer).

Useful: `case.world.call(method, path, headers, expect=(201,), json=...)`, `case.world.as_(role, side=side)`,
`case.side.staff["c1"]`, `case.side.partners["p1"]`, `case.side.objects["lead"]["c1"]`, `customer_phone()`.

    async def _unit(case) -> str:
        side, key = case.side, "u-fresh" if case.fresh else "u1"
        if not case.fresh and key in side.objects.get("unit", {}):
            return side.objects["unit"][key]
        doc = await case.world.call("POST", "/v1/units", case.world.as_("manager", side=side), expect=(201,), json={
            "branch_id": side.id, "project": "矩阵花园", "building": "1栋", "unit_no": uuid4().hex[:6],
            "product_type": "apartment", "list_price": "1000000"})
        side.put("unit", key, doc["id"])
        return doc["id"]

    TABLE = '''
    GET    /v1/units/{unit_id}        2xx  2xx  2xx  2xx  2xx  403  2xx
    '''
    KINDS = {"unit": _unit}
    PARAMS = {"unit_id": "unit"}
"""

TABLE = ""
