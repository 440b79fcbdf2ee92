package awardtracker

import (
	"context"
	"time"
)

// Count is a worked/confirmed pair.
type Count struct {
	Total     int `json:"total"`
	Confirmed int `json:"confirmed"`
}

// DXCCStart is the first day ARRL's DXCC credits contacts (spec §4).
var DXCCStart = time.Date(1945, 11, 15, 0, 0, 0, 0, time.UTC)

// DXCCCount counts distinct DXCC entities in two ways, because the log and
// the award count different things.
type DXCCCount struct {
	// Worked and Confirmed are log figures, as this API always gave them:
	// every entity code > 0 in the log, deleted entities and QSOs of any
	// date included, confirmed by LoTW or by DCL.
	Worked    int `json:"worked"`
	Confirmed int `json:"confirmed"`
	// Deleted is how many of Worked are deleted entities.
	Deleted int `json:"deleted"`
	// Award is what /api/awards/dxcc counts.
	Award DXCCAwardCount `json:"award"`
}

// DXCCAwardCount is DXCC as ARRL credits it, the same figures as the dxcc
// award's progress: current entities only, QSOs on or after DXCCStart,
// confirmed by LoTW only.
type DXCCAwardCount struct {
	Worked    int `json:"worked"`
	Confirmed int `json:"confirmed"`
}

// LastSync is when each source last synced successfully (nil: never).
type LastSync struct {
	LoTW *time.Time `json:"lotw"`
	DCL  *time.Time `json:"dcl"`
}

// Stats summarises one user's log. "Confirmed" means by LoTW or DCL.
type Stats struct {
	Total           int              `json:"total"`
	Confirmed       int              `json:"confirmed"`
	LoTWConfirmed   int              `json:"lotwConfirmed"`
	DCLConfirmed    int              `json:"dclConfirmed"`
	UniqueCallsigns int              `json:"uniqueCallsigns"`
	DXCC            DXCCCount        `json:"dxcc"`
	Bands           map[string]Count `json:"bands"`
	Modes           map[string]Count `json:"modes"` // keyed by submode where there is one
	FirstQSO        *time.Time       `json:"firstQso"`
	LastQSO         *time.Time       `json:"lastQso"`
	LastSync        LastSync         `json:"lastSync"`
}

// StatsService computes a user's statistics.
type StatsService interface {
	// Stats returns the statistics of the user's QSOs. A user without QSOs
	// gets zero counts, not an error. Returns EUNAVAILABLE if the database
	// cannot be reached.
	Stats(ctx context.Context, userID int64) (*Stats, error)
}
