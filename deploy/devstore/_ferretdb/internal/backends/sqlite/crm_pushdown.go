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
//
// `{field: {$in: [...]}}` on the same fields is pushed down as `IN (...)` when every listed
// value could be pushed down as an equality (strings; ObjectIds for `_id`), so a batch of
// lookups or updates by key costs one statement with index lookups instead of a table scan.
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

		var column string
		switch {
		case key == "_id":
			column = metadata.IDColumn
		case indexed[key]:
			column = fmt.Sprintf("%s->%q", metadata.DefaultColumn, key)
		default:
			continue
		}

		v := must.NotFail(filter.Get(key))
		if crmPushable(key, v) {
			conds = append(conds, column+" = ?")
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))
			continue
		}

		if values := crmInValues(key, v); values != nil {
			if len(values) == 0 {
				conds = append(conds, "0") // `$in: []` matches nothing
				continue
			}
			conds = append(conds, column+" IN (?"+strings.Repeat(", ?", len(values)-1)+")")
			for _, value := range values {
				args = append(args, string(must.NotFail(sjson.MarshalSingleValue(value))))
			}
		}
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}

// crmMaxIn bounds the values of one pushed-down `$in` (SQLite's limit on bound parameters is
// far higher; a longer list is simply filtered in Go as before).
const crmMaxIn = 1000

// crmPushable reports whether an equality on key with value v can be pushed down.
func crmPushable(key string, v any) bool {
	switch v.(type) {
	case string:
		return true
	case types.ObjectID:
		return key == "_id"
	default:
		return false
	}
}

// crmInValues returns the values of a `{$in: [...]}` operand that can be pushed down as a
// whole, or nil when it cannot (another operator beside `$in`, or any value not pushable).
func crmInValues(key string, v any) []any {
	doc, ok := v.(*types.Document)
	if !ok || doc.Len() != 1 {
		return nil
	}

	in, err := doc.Get("$in")
	if err != nil {
		return nil
	}

	arr, ok := in.(*types.Array)
	if !ok || arr.Len() > crmMaxIn {
		return nil
	}

	values := make([]any, 0, arr.Len())
	for i := 0; i < arr.Len(); i++ {
		value := must.NotFail(arr.Get(i))
		if !crmPushable(key, value) {
			return nil
		}
		values = append(values, value)
	}

	return values
}
