"""Prepare a patched copy of the FerretDB module for the dev store build.

FerretDB v1's SQLite backend makes every `_id` access a full table scan, so writes grew
linear in collection size (a conditional update: 5 ms at 100 documents, 18-50 ms at
3,000). Two causes, two patches (see PATCHES): the filter is pushed down only when `_id`
is its only key, and the pushed-down expression is not the one the `_id` index is on.

Usage: patch_ferretdb.py <module source dir> <destination dir>
"""

import shutil
import stat
import sys
from pathlib import Path

PATCHES = [
    # 1. push the `_id` equality down even when the filter has other keys (handlers re-filter in Go)
    ("internal/backends/sqlite/collection.go", 2,  # Query and Explain
     "\tif params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get(\"_id\")",
     "\tif params.Filter.Len() >= 1 { // crm devstore: push `_id` down even with other keys\n\t\tv, _ := params.Filter.Get(\"_id\")"),
    # 2. look `_id` up with the very expression its unique index is built on (`->"_id"`), so SQLite
    #    uses the index: `->'$._id'` means the same but is another expression to the planner, and
    #    every `_id` lookup, update and delete scanned the whole table.
    ("internal/backends/sqlite/metadata/metadata.go", 1,
     "IDColumn = DefaultColumn + \"->'$._id'\"",
     "IDColumn = DefaultColumn + `->\"_id\"` // crm devstore: the unique index's expression"),
]


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


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
