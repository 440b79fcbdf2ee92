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

// DXCCCount counts distinct DXCC entities (code > 0, deleted ones included).
type DXCCCount struct {
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
