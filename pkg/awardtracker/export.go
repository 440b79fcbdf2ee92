package awardtracker

import "time"

// ExportFilter selects the QSOs of an export: the QSO list's filters,
// without paging, and a start date. Zero values select everything.
type ExportFilter struct {
	Band      string    // lower-case band
	Mode      string    // matches mode or submode
	Confirmed *bool     // confirmed by LoTW or DCL, or not
	Call      string    // exact worked callsign
	Since     time.Time // QSOs that started at or after this
}
