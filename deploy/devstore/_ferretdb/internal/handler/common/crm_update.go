// crm devstore: copied into FerretDB's internal/handler/common package by patch_ferretdb.py.

package common

import (
	"context"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// crmUpdateChunk is how many modified documents of one update statement are written per
// SQLite transaction.
const crmUpdateChunk = 100

// crmFlush writes the modified documents collected so far in one transaction and empties the list.
//
// Stock FerretDB v1 wrote each modified document of an update in its own transaction, so an
// `updateMany` over n documents paid n commits; the commits were most of the cost of clearing
// a batch of outbox entries.
func crmFlush(ctx context.Context, c backends.Collection, pending *[]*types.Document) error {
	if len(*pending) == 0 {
		return nil
	}

	if _, err := c.UpdateAll(ctx, &backends.UpdateAllParams{Docs: *pending}); err != nil {
		return lazyerrors.Error(err)
	}

	*pending = (*pending)[:0]

	return nil
}
