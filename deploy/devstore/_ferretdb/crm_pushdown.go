// crm devstore: copied into FerretDB's internal/backends/sqlite package by patch_ferretdb.py.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// crmWhere returns the WHERE clause pushed down to SQLite for a query filter.
//
// Stock FerretDB v1 pushes down only a filter that is exactly {_id: <string|ObjectId>}, so
// every other lookup decodes the whole table in Go. Here every top-level equality that an
// index can serve is pushed down, AND-ed: `_id` with a string or ObjectId value, and any
// field with a string value that is the first key of one of the collection's indexes, with
// the very expression that index is built on. The handlers still apply the whole filter in
// Go afterwards, so the clause only has to select a superset of the matches. One deviation
// from MongoDB, the same one FerretDB's own SQLite indexes have: a document whose indexed
// field is an array containing the string is not found by equality on that string.
func crmWhere(meta *metadata.Collection, filter *types.Document) (string, []any) {
	if meta == nil || filter == nil || filter.Len() == 0 {
		return "", nil
	}

	indexed := make(map[string]bool, len(meta.Settings.Indexes))
	for _, index := range meta.Settings.Indexes {
		if len(index.Key) > 0 {
			indexed[index.Key[0].Field] = true
		}
	}

	var conds []string
	var args []any

	for _, key := range filter.Keys() {
		if key == "" || strings.HasPrefix(key, "$") || strings.Contains(key, ".") {
			continue
		}

		v := must.NotFail(filter.Get(key))

		switch v.(type) {
		case string:
		case types.ObjectID:
			if key != "_id" {
				continue
			}
		default:
			continue
		}

		switch {
		case key == "_id":
			conds = append(conds, metadata.IDColumn+" = ?")
		case indexed[key]:
			conds = append(conds, fmt.Sprintf("%s->%q = ?", metadata.DefaultColumn, key))
		default:
			continue
		}

		args = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}
