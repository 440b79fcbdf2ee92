package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/adif"
	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// Rows as stored. They never leave the package; the services convert them to
// domain types.

type userRow struct {
	ID           int64  `gorm:"primaryKey"`
	Callsign     string `gorm:"size:32;not null;uniqueIndex"`
	PasswordHash []byte `gorm:"not null"`
	CreatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

// qsoRow keeps times as Unix seconds: compact, index-friendly and free of
// time-zone formatting questions.
// Indexes all lead with user_id, so that one user's queries never scan
// another user's rows; two more, for the tallies' recount, are per engine
// (coveringIndexes).
type qsoRow struct {
	ID              int64   `gorm:"primaryKey"`
	UserID          int64   `gorm:"not null;index:idx_qsos_user_start,priority:1;index:idx_qsos_user_call,priority:1"`
	StationCallsign string  `gorm:"size:32;not null;default:''"`
	Call            string  `gorm:"size:32;not null;index:idx_qsos_user_call,priority:2"`
	Start           int64   `gorm:"not null;index:idx_qsos_user_start,priority:2,sort:desc;index:idx_qsos_user_call,priority:4"`
	Band            string  `gorm:"size:8;not null;index:idx_qsos_user_call,priority:3"`
	FreqMHz         float64 `gorm:"column:freq_mhz"`
	Mode            string  `gorm:"size:16;not null"`
	Submode         string  `gorm:"size:16;not null;default:''"`
	ModeGroup       string  `gorm:"size:8;not null"`
	DXCC            int     `gorm:"not null;default:0"`
	Country         string  `gorm:"size:64;not null;default:''"`
	State           string  `gorm:"size:8;not null;default:''"`
	CQZone          int     `gorm:"column:cq_zone;not null;default:0"`
	ITUZone         int     `gorm:"column:itu_zone;not null;default:0"`
	Grid            string  `gorm:"size:12;not null;default:''"`
	DOK             string  `gorm:"column:dok;size:16;not null;default:''"`
	PropMode        string  `gorm:"size:16;not null;default:''"`
	SatName         string  `gorm:"size:32;not null;default:''"`
	Source          string  `gorm:"size:8;not null"`
	// The keys (formatKey) of the records linked to the QSO, one per
	// source: the one that created it and the ones that confirmed it.
	LogKey          string `gorm:"column:log_key;not null;default:''"`
	LoTWKey         string `gorm:"column:lotw_key;not null;default:''"`
	DCLKey          string `gorm:"column:dcl_key;not null;default:''"`
	LoTWConfirmed   bool   `gorm:"column:lotw_confirmed;not null;default:false"`
	LoTWConfirmedAt *int64 `gorm:"column:lotw_confirmed_at"`
	DCLConfirmed    bool   `gorm:"column:dcl_confirmed;not null;default:false"`
	DCLConfirmedAt  *int64 `gorm:"column:dcl_confirmed_at"`
	CreatedAt       int64  `gorm:"autoCreateTime"`
	UpdatedAt       int64  `gorm:"autoUpdateTime"`
}

func (qsoRow) TableName() string { return "qsos" }

// coveringIndexes hold every column the tallies' recount (tally.go) groups
// and counts by, so that SQLite reads them alone, without the rows. They
// exist on engines with Dialect.CoveringIndexes only. PostgreSQL reads an
// index alone only for pages VACUUM has marked all-visible, which an
// import's pages are not yet, so its recount visits the rows anyway; there
// the two indexes only cost writes (an entry in each per new or merged
// QSO: 13% of a confirming LoTW sync of 100,000 records).
var coveringIndexes = []struct{ name, columns string }{
	{"idx_qsos_user_band_mode", "user_id, band, mode, submode, lotw_confirmed, dcl_confirmed"},
	{"idx_qsos_user_dxcc", "user_id, dxcc, lotw_confirmed, dcl_confirmed"},
}

type syncStateRow struct {
	UserID             int64  `gorm:"primaryKey;autoIncrement:false"`
	Source             string `gorm:"primaryKey;size:8;index:idx_sync_states_source_last_success,priority:1"`
	Credentials        []byte
	CredentialsInvalid bool `gorm:"not null;default:false"`
	Cursor             string
	// Indexed with Source for the last-success gauge, which every replica
	// reads on every scrape (SyncStateService.LastSuccess).
	LastSuccess  *time.Time `gorm:"index:idx_sync_states_source_last_success,priority:2"`
	LastAttempt  *time.Time
	NextAttempt  *time.Time
	LastError    string
	LastFullSync *time.Time
	UpdatedAt    time.Time
}

func (syncStateRow) TableName() string { return "sync_states" }

type settingRow struct {
	Name  string `gorm:"primaryKey"`
	Value []byte
}

func (settingRow) TableName() string { return "settings" }

// migrate brings the schema up to date. GORM's AutoMigrate only adds (tables,
// columns, indexes), which is all this schema has needed so far; a change
// that rewrites data would get a numbered step here.
func (db *DB) migrate(ctx context.Context) error {
	conn := db.conn(ctx, "migrate")
	if err := conn.AutoMigrate(&userRow{}, &qsoRow{}, &syncStateRow{}, &settingRow{}, &loginAttemptRow{},
		&tallyModeRow{}, &tallyDXCCRow{}, &tallyUserRow{}); err != nil {
		return fmt.Errorf("%s: migrate: %w", db.dialect.Name, err)
	}
	// Step 1: the first schema's band index is covered by the band/mode one.
	if err := conn.Exec("DROP INDEX IF EXISTS idx_qsos_user_band").Error; err != nil {
		return fmt.Errorf("%s: migrate: %w", db.dialect.Name, err)
	}
	// The covering indexes where the engine reads them, and not where it
	// does not (databases of earlier versions have them on both).
	for _, ix := range coveringIndexes {
		stmt := "DROP INDEX IF EXISTS " + ix.name
		if db.dialect.CoveringIndexes {
			stmt = "CREATE INDEX IF NOT EXISTS " + ix.name + " ON qsos (" + ix.columns + ")"
		}
		if err := conn.Exec(stmt).Error; err != nil {
			return fmt.Errorf("%s: migrate: %w", db.dialect.Name, err)
		}
	}
	// Step 2: sync errors that may quote a password (syncstate.go).
	if err := conn.Transaction(db.scrubQuotedSyncErrors); err != nil {
		return fmt.Errorf("%s: migrate: %w", db.dialect.Name, err)
	}
	// Step 3: QSOs stored before record keys were kept get the key of the
	// record that created them, so that importing that record again is a
	// duplicate. QSOs that the old matching merged into them cannot be told
	// apart any more; importing the own log again adds them back as QSOs of
	// their own (see the README). Done once, marked in settings, in one
	// transaction with its mark.
	if err := conn.Transaction(backfillRecordKeys); err != nil {
		return fmt.Errorf("%s: migrate: record keys: %w", db.dialect.Name, err)
	}
	// Step 4: the statistics' tallies (tally.go), counted once for the QSOs
	// stored before they were kept.
	if err := conn.Transaction(db.backfillTallies); err != nil {
		return fmt.Errorf("%s: migrate: tallies: %w", db.dialect.Name, err)
	}
	// Step 5: mode and submode pairs that ADIF does not allow, which the
	// old merges made (an own FT8 QSO confirmed as MFSK/FT4 stored as
	// FT8/FT4), get the mode their submode names: what an import makes of
	// such a record (adif.NormalizeMode: a known submode decides the
	// mode). Done once, marked in settings.
	if err := conn.Transaction(db.repairModePairs); err != nil {
		return fmt.Errorf("%s: migrate: mode pairs: %w", db.dialect.Name, err)
	}
	return nil
}

// migrationModePairs names the settings row that says migration step 5 ran.
const migrationModePairs = "migration.mode_pairs"

// repairModePairs is migration step 5. It reads the distinct pairs rather
// than every QSO (a few dozen in any database), rewrites each invalid one
// with one UPDATE, and recounts the tallies of the users it changed.
func (db *DB) repairModePairs(tx *gorm.DB) error {
	var done int64
	if err := tx.Model(&settingRow{}).Where("name = ?", migrationModePairs).Count(&done).Error; err != nil || done > 0 {
		return err
	}
	var pairs []struct{ Mode, Submode string }
	if err := tx.Model(&qsoRow{}).Distinct("mode", "submode").Where("submode <> ''").Scan(&pairs).Error; err != nil {
		return err
	}
	users := map[int64]bool{}
	for _, p := range pairs {
		mode, submode, ok := adif.NormalizeMode(p.Mode, p.Submode)
		if !ok || mode == p.Mode && submode == p.Submode {
			continue // an unknown submode has no mode to give; a valid pair stays
		}
		var ids []int64
		if err := tx.Model(&qsoRow{}).Distinct("user_id").Where("mode = ? AND submode = ?", p.Mode, p.Submode).
			Pluck("user_id", &ids).Error; err != nil {
			return err
		}
		if err := tx.Model(&qsoRow{}).Where("mode = ? AND submode = ?", p.Mode, p.Submode).Updates(map[string]any{
			"mode": mode, "submode": submode, "mode_group": string(adif.ModeGroupOf(mode, submode)), "updated_at": db.now().Unix(),
		}).Error; err != nil {
			return err
		}
		for _, id := range ids {
			users[id] = true
		}
	}
	for id := range users {
		if err := db.recountUser(tx, id); err != nil {
			return err
		}
	}
	return tx.Create(&settingRow{Name: migrationModePairs, Value: []byte("done")}).Error
}

// migrationRecordKeys names the settings row that says migration step 3 ran.
const migrationRecordKeys = "migration.record_keys"

// backfillRecordKeys is migration step 3.
func backfillRecordKeys(tx *gorm.DB) error {
	var done int64
	if err := tx.Model(&settingRow{}).Where("name = ?", migrationRecordKeys).Count(&done).Error; err != nil || done > 0 {
		return err
	}
	for _, src := range []awardtracker.Source{awardtracker.SourceLog, awardtracker.SourceLoTW, awardtracker.SourceDCL} {
		col := keyColumn(src)
		if err := tx.Exec("UPDATE qsos SET "+col+" = "+keySQL+" WHERE source = ? AND "+col+" = ''", string(src)).Error; err != nil {
			return err
		}
	}
	return tx.Create(&settingRow{Name: migrationRecordKeys, Value: []byte("done")}).Error
}
