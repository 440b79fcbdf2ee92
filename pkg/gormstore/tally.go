package gormstore

import (
	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// The statistics are counted when QSOs are written, not when they are read.
// Every write that changes a user's QSOs recounts that user's tallies in its
// own transaction (writeChange), so the tallies are exactly as current as
// the QSOs; a statistics cache miss then reads a few hundred tally rows
// instead of aggregating every QSO.
//
// Why at write time: statistics change only when QSOs do, and every such
// write drops the cached statistics anyway, while a cache miss without a
// write (the 5-minute expiry, another replica, a restart) is far more
// frequent. Aggregating 100,000 QSOs costs ~30 ms on SQLite but ~130 ms on
// PostgreSQL, whose executor spends several times SQLite's per-row cost on
// these GROUP BYs (measured with index-only scans too); a sync of that many
// records takes seconds, which the recount adds a few percent to.
//
// Why a recount rather than adding and subtracting the rows each write
// touched: the recount is the same GROUP BY the statistics ran before, so
// the tallies cannot drift from the QSOs whatever path a write took (an
// insert, a merge changing the mode or the DXCC entity, a delete), and the
// unique-callsign count needs no set of the user's calls in memory.

// tallyModeRow counts a user's QSOs per band, mode, submode and
// confirmation (the statistics' bands, modes and totals).
type tallyModeRow struct {
	UserID        int64  `gorm:"primaryKey;autoIncrement:false"`
	Band          string `gorm:"primaryKey;size:8"`
	Mode          string `gorm:"primaryKey;size:16"`
	Submode       string `gorm:"primaryKey;size:16"`
	LoTWConfirmed bool   `gorm:"column:lotw_confirmed;primaryKey"`
	DCLConfirmed  bool   `gorm:"column:dcl_confirmed;primaryKey"`
	QSOs          int64  `gorm:"column:qsos;not null"`
}

func (tallyModeRow) TableName() string { return "tally_modes" }

// tallyDXCCRow counts a user's QSOs with one DXCC entity: all of them, the
// confirmed ones (by LoTW or DCL) and those confirmed by LoTW; and of the
// latter two kinds, those from before awardtracker.DXCCStart, which do not
// count for the award.
type tallyDXCCRow struct {
	UserID        int64 `gorm:"primaryKey;autoIncrement:false"`
	DXCC          int   `gorm:"column:dxcc;primaryKey;autoIncrement:false"`
	QSOs          int64 `gorm:"column:qsos;not null"`
	ConfirmedQSOs int64 `gorm:"column:confirmed_qsos;not null"`
	LoTWQSOs      int64 `gorm:"column:lotw_qsos;not null"`
	OldQSOs       int64 `gorm:"column:old_qsos;not null;default:0"`
	OldLoTWQSOs   int64 `gorm:"column:old_lotw_qsos;not null;default:0"`
}

func (tallyDXCCRow) TableName() string { return "tally_dxcc" }

// tallyUserRow is what a user's QSOs add up to as a whole; a user without
// QSOs has none.
type tallyUserRow struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	UniqueCalls int64 `gorm:"not null"`
	FirstStart  int64 `gorm:"not null"`
	LastStart   int64 `gorm:"not null"`
}

func (tallyUserRow) TableName() string { return "tally_users" }

// recountUser replaces userID's tallies with a count of their QSOs, inside
// the transaction that changed them.
func (db *DB) recountUser(tx *gorm.DB, userID int64) error {
	return db.recount(tx, "user_id = ?", userID)
}

// recountAll replaces every user's tallies (migration step 4, Copy).
func (db *DB) recountAll(tx *gorm.DB) error {
	return db.recount(tx, "1 = 1")
}

// recount replaces the tallies of the users that where (with args) selects
// from qsos and the tally tables alike. Each count reads one covering index
// of qsos where the engine can: the QSOs from before DXCCStart are counted
// apart, through the (user, start) index over a range that is empty for
// almost every log, rather than looking up every QSO's start time (5x slower
// on SQLite, whose planner would walk the DXCC index for the GROUP BY unless
// told otherwise: INDEXED BY, SQLite only).
func (db *DB) recount(tx *gorm.DB, where string, args ...any) error {
	hint := ""
	if db.dialect.IndexHints {
		hint = " INDEXED BY idx_qsos_user_start"
	}
	old := append([]any{awardtracker.DXCCStart.Unix()}, args...)
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM tally_modes WHERE " + where, args},
		{"INSERT INTO tally_modes (user_id, band, mode, submode, lotw_confirmed, dcl_confirmed, qsos) " +
			"SELECT user_id, band, mode, submode, lotw_confirmed, dcl_confirmed, COUNT(*) FROM qsos WHERE " + where +
			" GROUP BY user_id, band, mode, submode, lotw_confirmed, dcl_confirmed", args},
		{"DELETE FROM tally_dxcc WHERE " + where, args},
		{"INSERT INTO tally_dxcc (user_id, dxcc, qsos, confirmed_qsos, lotw_qsos) " +
			"SELECT user_id, dxcc, COUNT(*), SUM(CASE WHEN lotw_confirmed OR dcl_confirmed THEN 1 ELSE 0 END), " +
			"SUM(CASE WHEN lotw_confirmed THEN 1 ELSE 0 END) FROM qsos WHERE dxcc > 0 AND " + where + " GROUP BY user_id, dxcc", args},
		{"UPDATE tally_dxcc SET old_qsos = o.n, old_lotw_qsos = o.lotw FROM (" +
			"SELECT user_id, dxcc, COUNT(*) AS n, SUM(CASE WHEN lotw_confirmed THEN 1 ELSE 0 END) AS lotw FROM qsos" + hint +
			" WHERE start < ? AND dxcc > 0 AND " + where + " GROUP BY user_id, dxcc) AS o " +
			"WHERE tally_dxcc.user_id = o.user_id AND tally_dxcc.dxcc = o.dxcc", old},
		{"DELETE FROM tally_users WHERE " + where, args},
		{"INSERT INTO tally_users (user_id, unique_calls, first_start, last_start) " +
			"SELECT user_id, COUNT(DISTINCT call), MIN(start), MAX(start) FROM qsos WHERE " + where + " GROUP BY user_id", args},
	} {
		if err := tx.Exec(s.sql, s.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrationTallies names the settings row that says migration step 4 ran.
const migrationTallies = "migration.tallies"

// backfillTallies is migration step 4: a database from before the tallies
// gets them counted once, in one transaction with its mark.
func (db *DB) backfillTallies(tx *gorm.DB) error {
	var done int64
	if err := tx.Model(&settingRow{}).Where("name = ?", migrationTallies).Count(&done).Error; err != nil || done > 0 {
		return err
	}
	if err := db.recountAll(tx); err != nil {
		return err
	}
	return tx.Create(&settingRow{Name: migrationTallies, Value: []byte("done")}).Error
}
