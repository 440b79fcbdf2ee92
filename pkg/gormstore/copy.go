package gormstore

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// CopyCounts says what Copy copied.
type CopyCounts struct {
	Users, QSOs, SyncStates, Settings int
}

// copyBatch is how many rows Copy reads and writes at a time.
const copyBatch = 500

// Copy copies every user, QSO, sync state and server secret (the token
// signing key) from src into dst, which must hold no users or QSOs: a
// move from SQLite to PostgreSQL. Rows keep their ids, since stored
// credentials are sealed to the user id and tokens name it; dst's id
// sequences continue after them. The copy is one transaction on dst
// (nothing is half copied) and one read transaction on src (a consistent
// snapshot; on SQLite it holds the write lock, so the service should be
// stopped). Returns ECONFLICT when dst is not empty.
func Copy(ctx context.Context, src, dst *DB) (*CopyCounts, error) {
	var n CopyCounts
	err := src.conn(ctx, "copy_read").Transaction(func(stx *gorm.DB) error {
		return dst.write(ctx, "copy_write", func(dtx *gorm.DB) error {
			var users, qsos int64
			if err := dtx.Model(&userRow{}).Count(&users).Error; err != nil {
				return err
			}
			if err := dtx.Model(&qsoRow{}).Count(&qsos).Error; err != nil {
				return err
			}
			if users > 0 || qsos > 0 {
				return awardtracker.Errorf(awardtracker.ECONFLICT,
					"the target database is not empty (%d users, %d QSOs): copy into a new database", users, qsos)
			}
			if err := copyTable(stx, dtx, []string{"id"}, func(r *userRow) []any { return []any{r.ID} }, "", &n.Users); err != nil {
				return fmt.Errorf("users: %w", err)
			}
			if err := copyTable(stx, dtx, []string{"id"}, func(r *qsoRow) []any { return []any{r.ID} }, "", &n.QSOs); err != nil {
				return fmt.Errorf("qsos: %w", err)
			}
			if err := copyTable(stx, dtx, []string{"user_id", "source"},
				func(r *syncStateRow) []any { return []any{r.UserID, r.Source} }, "", &n.SyncStates); err != nil {
				return fmt.Errorf("sync states: %w", err)
			}
			// dst's own migrations wrote their marks already, and a service
			// started on it once made a signing key: src's win.
			if err := copyTable(stx, dtx, []string{"name"}, func(r *settingRow) []any { return []any{r.Name} },
				"name <> 'write_probe'", &n.Settings); err != nil {
				return fmt.Errorf("settings: %w", err)
			}
			// The tallies are counted from the copied QSOs rather than copied:
			// a source written by a version without them has none.
			if err := dst.recountAll(dtx); err != nil {
				return fmt.Errorf("tallies: %w", err)
			}
			for _, stmt := range dst.dialect.AfterCopySQL {
				if err := dtx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, dst.formatError(err)
	}
	return &n, nil
}

// copyTable copies the rows of T (those matching where, if set) from src to
// dst in batches of copyBatch, in the order of the key columns keys,
// counting them into n. A row dst has already (a setting) is replaced.
// Each batch starts after the previous batch's last key (keyOf gives a
// row's key values), a range the key's index finds at once; OFFSET would
// read and skip every earlier row again, quadratic in the table's size.
func copyTable[T any](src, dst *gorm.DB, keys []string, keyOf func(*T) []any, where string, n *int) error {
	cols := strings.Join(keys, ", ")
	// A row value comparison, (a, b) > (?, ?), which SQLite and
	// PostgreSQL both take and both answer from the key's index.
	after := "(" + cols + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ") + ")"
	var last []any
	for {
		var batch []T
		q := src.Order(cols).Limit(copyBatch)
		if where != "" {
			q = q.Where(where)
		}
		if last != nil {
			q = q.Where(after, last...)
		}
		if err := q.Find(&batch).Error; err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := dst.Clauses(clause.OnConflict{UpdateAll: true}).Create(&batch).Error; err != nil {
			return err
		}
		*n += len(batch)
		last = keyOf(&batch[len(batch)-1])
	}
}
