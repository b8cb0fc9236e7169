"""D13 (issue 14): every `$ref` in notify's OpenAPI document resolves. The receipts route once
pointed at `#/$defs/ReceiptIn`, which exists nowhere in the document, so generated clients
and the docs page could not read the receipt body."""

from tests.notify.support import notify_running


def refs(node, where: str = "#"):
    """Every (location, $ref) in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{where}/{i}")


def resolve(document: dict, ref: str):
    """A local JSON pointer (RFC 6901) into the document; KeyError/IndexError when it dangles."""
    assert ref.startswith("#/"), f"only local references are expected: {ref}"
    node = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


async def test_every_ref_in_the_openapi_document_resolves(urls):
    async with notify_running(urls) as (settings, ctx, client):
        spec = (await client.get("/openapi.json")).json()
        found = list(refs(spec))
        assert len(found) > 10, "the walk sees the document's references"
        dangling = []
        for where, ref in found:
            try:
                resolve(spec, ref)
            except (KeyError, IndexError, ValueError):
                dangling.append((where, ref))
        assert dangling == []


async def test_the_receipt_body_is_documented(urls):
    async with notify_running(urls) as (settings, ctx, client):
        spec = (await client.get("/openapi.json")).json()
        schema = spec["paths"]["/v1/providers/{name}/receipts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        generic, aliyun, tencent = schema["anyOf"]
        item = generic["properties"]["receipts"]["items"]
        if "$ref" in item:
            item = resolve(spec, item["$ref"])
        assert set(item["properties"]) == {"provider_message_id", "status", "part", "parts", "error"}
        assert {"biz_id", "success", "err_code", "sms_size", "out_id"} <= set(aliyun["items"]["properties"])
        assert {"sid", "report_status", "errmsg", "description"} <= set(tencent["items"]["properties"])
