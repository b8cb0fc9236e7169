"""Prepare a patched copy of the FerretDB module for the dev store build.

FerretDB v1's SQLite backend pushes a filter down to SQL only when it is exactly
`{_id: <string>}`, and then with an expression the `_id` index is not built on: every
other lookup, update and delete decoded the whole table in Go, so cost grew linearly with
the collection (a conditional update: 5 ms at 100 documents, 18-50 ms at 3,000; finding
the open lead of a phone: 24 ms at 1k leads, 242 ms at 10k). The patches (see PATCHES and
_ferretdb/internal/backends/sqlite/crm_pushdown.go) push down every top-level equality an index can serve -- `_id`,
and any indexed field compared with a string -- with the index's own expression.

Usage: patch_ferretdb.py <module source dir> <destination dir>
"""

import shutil
import stat
import sys
from pathlib import Path

PATCHES = [
    # 1. push down every indexed top-level equality (crmWhere), not only a lone `_id`; the
    #    handlers re-filter in Go, so the clause only has to select a superset
    ("internal/backends/sqlite/collection.go", 2,  # Query and Explain
     "\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")",
     "\twhereClause, args = crmWhere(meta, params.Filter) // crm devstore\n\tif false {\n\t\tv, _ := params.Filter.Get(\"_id\")"),
    ("internal/backends/sqlite/collection.go", 1,  # Explain: report a pushdown only when it is the whole filter
     "\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown",
     "\tfilterPushdown = whereClause != \"\" && params.Filter.Len() == 1 // crm devstore\n\n"
     "\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown"),
    # 2. look `_id` up with the very expression its unique index is built on (`->"_id"`), so SQLite
    #    uses the index: `->'$._id'` means the same but is another expression to the planner, and
    #    every `_id` lookup, update and delete scanned the whole table.
    # 3. an `update` command with many statements (a bulk write) kept every statement's query
    #    open until the whole command ended (`defer` inside the loop). Each open query pins one
    #    of the 100 pooled SQLite connections, so the 101st statement waited for a connection
    #    forever -- and with it every other write behind the proxy. Close each statement's query
    #    as soon as its update is done (the deferred Close stays for the error paths; Close is
    #    idempotent).
    ("internal/handler/msg_update.go", 1,
     "\t\tresult, err := common.UpdateDocument(ctx, c, \"update\", iter, &u)\n",
     "\t\tresult, err := common.UpdateDocument(ctx, c, \"update\", iter, &u)\n"
     "\t\tcloser.Close() // crm devstore: release this statement's connection now, not at the command's end\n"),
    # 4. an update statement wrote each modified document in its own SQLite transaction, so an
    #    `updateMany` over n documents paid n commits. Collect them and write them together
    #    (crmFlush in _ferretdb/internal/handler/common/crm_update.go), 100 per transaction.
    ("internal/handler/common/update.go", 1,
     "\tresult := new(UpdateResult)\n",
     "\tresult := new(UpdateResult)\n\tvar crmPending []*types.Document // crm devstore\n"),
    ("internal/handler/common/update.go", 1,
     "\t\t\tif !upsert {\n\t\t\t\treturn result, nil\n",
     "\t\t\tif !upsert {\n\t\t\t\tif err = crmFlush(ctx, c, &crmPending); err != nil {\n"
     "\t\t\t\t\treturn nil, err\n\t\t\t\t}\n\n\t\t\t\treturn result, nil\n"),
    ("internal/handler/common/update.go", 1,
     "\t\t\t_, err := c.UpdateAll(ctx, &backends.UpdateAllParams{Docs: []*types.Document{doc}})\n"
     "\t\t\tif err != nil {\n\t\t\t\treturn nil, lazyerrors.Error(err)\n\t\t\t}\n",
     "\t\t\tif crmPending = append(crmPending, doc); len(crmPending) >= crmUpdateChunk {\n"
     "\t\t\t\tif err = crmFlush(ctx, c, &crmPending); err != nil {\n\t\t\t\t\treturn nil, err\n\t\t\t\t}\n\t\t\t}\n"),
    # 5. every SQL statement was logged as `l.With(args...).DebugContext(...)`: slog formats the
    #    attributes in `With`, whatever the level, so each insert and update quoted its whole
    #    document into a string nobody read. Format only when debug is on (crmDebug).
    *[(f"internal/util/fsql/{name}.go", 3,
       f"{var}.l.With(fields...).DebugContext(ctx, fmt.Sprintf(\"{arrow} %s\", query))",
       f"crmDebug(ctx, {var}.l, fields, func() string {{ return fmt.Sprintf(\"{arrow} %s\", query) }}) // crm devstore")
      for name, var in (("db", "db"), ("tx", "tx")) for arrow in (">>>", "<<<")],
    # 6. an update that breaks a unique index (a find-and-modify or update moving a document onto a
    #    taken key) came back as an internal error (code 1, "UNIQUE constraint failed"), where
    #    MongoDB answers E11000 -- an insert already did. Name it the way the insert path does, so the
    #    handlers answer E11000 (pymongo's DuplicateKeyError) for updates too.
    ("internal/backends/sqlite/collection.go", 1,
     "\t\t\tr, err := tx.ExecContext(ctx, q, string(b), arg)\n\t\t\tif err != nil {\n\t\t\t\treturn lazyerrors.Error(err)\n",
     "\t\t\tr, err := tx.ExecContext(ctx, q, string(b), arg)\n\t\t\tif err != nil {\n"
     "\t\t\t\tvar se *sqlite3.Error // crm devstore: a unique index refused the update\n"
     "\t\t\t\tif errors.As(err, &se) && se.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE {\n"
     "\t\t\t\t\treturn backends.NewError(backends.ErrorCodeInsertDuplicateID, err)\n\t\t\t\t}\n\n"
     "\t\t\t\treturn lazyerrors.Error(err)\n"),
    ("internal/backends/sqlite/metadata/metadata.go", 1,
     "IDColumn = DefaultColumn + \"->'$._id'\"",
     "IDColumn = DefaultColumn + `->\"_id\"` // crm devstore: the unique index's expression"),
]

EXTRA = Path(__file__).parent / "_ferretdb"


def main(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    for path in dest.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    for target, count, original, patched in PATCHES:
        file = dest / target
        text = file.read_text()
        if text.count(original) != count:
            sys.exit(f"patch_ferretdb: {target} does not contain the expected code; FerretDB version changed?")
        file.write_text(text.replace(original, patched))
    for extra in EXTRA.rglob("*.go"):  # our own code added to FerretDB's packages, at the same paths
        shutil.copy(extra, dest / extra.relative_to(EXTRA))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
