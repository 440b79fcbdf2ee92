package awardtracker

import (
	"context"
	"time"
)

// The awards the service tracks.
const (
	AwardDXCC = "dxcc"
	AwardWAS  = "was"
	AwardWAZ  = "waz"
	AwardVUCC = "vucc"
	// AwardVUCCSat is ARRL's Satellite VUCC: grids worked through
	// satellites, all bands together.
	AwardVUCCSat = "vucc-sat"
	AwardDLD     = "dld"
)

// AwardIDs lists the tracked awards in display order.
var AwardIDs = []string{AwardDXCC, AwardWAS, AwardWAZ, AwardVUCC, AwardVUCCSat, AwardDLD}

// AwardProgress is how far a user is towards one award.
type AwardProgress struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Worked    int    `json:"worked"`
	Confirmed int    `json:"confirmed"`
	Target    int    `json:"target"`
	Complete  bool   `json:"complete"`
	// Breakdown holds the award's sub-counts by dimension, e.g.
	// {"band": {"20m": {...}}, "modeGroup": {"CW": {...}}}.
	Breakdown map[string]map[string]Count `json:"breakdown"`
	// Needed lists what is still missing (entity names, states, zones...).
	Needed []string `json:"needed"`
	// Deleted lists confirmed DXCC entities that no longer count (DXCC only).
	Deleted []string `json:"deleted,omitempty"`
}

// AwardFact is one group of a user's QSOs that share every attribute an award
// rule looks at. The storage layer groups QSOs in SQL so that award rules run
// over a few hundred facts instead of every QSO.
type AwardFact struct {
	DXCC      int
	Band      string
	ModeGroup ModeGroup
	State     string
	CQZone    int
	Grid      string // first four characters, upper case
	DOK       string
	Satellite bool      // the group's QSOs were made through a satellite (QSO.Satellite)
	LoTW      bool      // every QSO of the group is LoTW-confirmed (groups split on it)
	DCL       bool      // every QSO of the group is DCL-confirmed (groups split on it)
	Latest    time.Time // start of the newest QSO in the group
	QSOs      int       // number of QSOs in the group
}

// AwardService computes award progress.
type AwardService interface {
	// Awards returns the progress of every tracked award, in AwardIDs order.
	Awards(ctx context.Context, userID int64) ([]AwardProgress, error)
}
