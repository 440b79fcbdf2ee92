package gormstore

import (
	"gorm.io/gorm"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
	"github.com/awardtracker/awardtracker/pkg/match"
)

// Every QSO keeps the key (match.FormatKey) of each record linked to it,
// one column per source (log_key, lotw_key, dcl_key): the record that
// created it and the ones that confirmed it. That is what makes the rules
// of package match one to one and lets a record sent again (LoTW's since
// is inclusive) be recognised instead of confirming or creating another QSO.

// keyColumn is the qsos column holding the key of a source's linked record.
func keyColumn(src awardtracker.Source) string {
	switch src {
	case awardtracker.SourceLoTW:
		return "lotw_key"
	case awardtracker.SourceDCL:
		return "dcl_key"
	}
	return "log_key"
}

// keyField is the field of r behind keyColumn.
func keyField(r *qsoRow, src awardtracker.Source) *string {
	switch src {
	case awardtracker.SourceLoTW:
		return &r.LoTWKey
	case awardtracker.SourceDCL:
		return &r.DCLKey
	}
	return &r.LogKey
}

// keySQL is match.FormatKey in SQL over a qsos row (standard || on both
// engines), for rows stored before keys were kept: their start was stored
// exactly, so it counts as having seconds (a re-imported HHMM record still
// compares to the minute).
const keySQL = "start || '|s|' || station_callsign || '|' || call || '|' || band || '|' || mode || '|' || prop_mode || '|' || sat_name"

// loadMatchIndex reads what matching needs of the user's QSOs, with the key
// of each one's record from src, in one query.
func loadMatchIndex(tx *gorm.DB, userID int64, src awardtracker.Source) (match.Index, error) {
	rows, err := tx.Model(&qsoRow{}).
		Select("id, station_callsign, call, band, mode_group, start, prop_mode, sat_name, "+keyColumn(src)).
		Where("user_id = ?", userID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	idx := match.Index{}
	for rows.Next() {
		var e match.Entry
		var call, band string
		if err := rows.Scan(&e.ID, &e.Station, &call, &band, &e.Group, &e.Start, &e.PropMode, &e.SatName, &e.Key); err != nil {
			return nil, err
		}
		e.Group = match.InternGroup(e.Group)
		idx.Add(&e, call, band)
	}
	return idx, rows.Err()
}
