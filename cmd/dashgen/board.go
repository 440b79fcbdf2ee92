package main

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The board builders: house defaults on top of the Grafana Foundation SDK.
// What each dashboard shows is in dashboards.go.

// sel is the matcher every query carries, so that the job and instance
// variables filter every panel.
const sel = `job=~"$job", instance=~"$instance"`

// datasource is the dashboard's datasource variable; the provisioned
// datasource (dashboards/provisioning/datasources) has uid "prometheus".
var datasource = dashboard.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${datasource}")}

// board wraps the SDK's dashboard builder with the house defaults: tags,
// links between the four dashboards, the datasource/job/instance variables
// and sequential panel ids.
type board struct {
	*dashboard.DashboardBuilder
	uid    string
	nextID uint32
}

func newBoard(uid, title, description string) *board {
	b := &board{uid: uid, nextID: 1}
	b.DashboardBuilder = dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"awardtracker"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("30s").
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("awardtracker").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"awardtracker"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data Source").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: ptr("Prometheus")},
				Value: dashboard.StringOrArrayOfString{String: ptr("prometheus")},
			})).
		WithVariable(dashboard.NewQueryVariableBuilder("job").
			Label("job").
			Datasource(datasource).
			Query(dashboard.StringOrMap{String: ptr(`label_values(awardtracker_build_info, job)`)}).
			Multi(true).IncludeAll(true).AllValue(".+").
			Current(all()).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged)).
		WithVariable(dashboard.NewQueryVariableBuilder("instance").
			Label("instance").
			Datasource(datasource).
			Query(dashboard.StringOrMap{String: ptr(`label_values(awardtracker_build_info{job=~"$job"}, instance)`)}).
			Multi(true).IncludeAll(true).AllValue(".+").
			Current(all()).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged))
	return b
}

func (b *board) variable(v cog.Builder[dashboard.VariableModel]) { b.WithVariable(v) }

func (b *board) row(title string) {
	b.WithRow(dashboard.NewRowBuilder(title).Id(b.id()))
}

func (b *board) id() uint32 {
	id := b.nextID
	b.nextID++
	return id
}

// panel is what the dashboards above say about a panel; the methods below
// turn it into the SDK's builders.
type panel struct {
	title, desc, unit string
	targets           []target
	span              uint32 // width in grid columns (of 24)
	min, max          *float64
	threshold         *float64           // red from this value on
	lowIsBad          bool               // red below threshold instead
	mappings          map[string]mapping // by value
	bars, points      bool               // draw style for rare events
	showName          bool               // stat shows the legend, not the value
}

type target struct{ expr, legend string }

// mapping is the text and colour a stat shows for a value.
type mapping struct{ text, color string }

func (b *board) timeseries(p panel) {
	tp := timeseries.NewPanelBuilder().
		Id(b.id()).
		Title(p.title).
		Description(p.desc).
		Datasource(datasource).
		Unit(p.unit).
		Span(p.span).
		Height(8).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending)).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		Thresholds(thresholds(p.threshold, p.lowIsBad))
	if p.threshold != nil {
		tp.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	switch {
	case p.bars:
		tp.DrawStyle(common.GraphDrawStyleBars).FillOpacity(80)
	case p.points:
		tp.DrawStyle(common.GraphDrawStylePoints).ShowPoints(common.VisibilityModeAlways).PointSize(6)
	}
	if p.min != nil {
		tp.Min(*p.min)
	}
	if p.max != nil {
		tp.Max(*p.max)
	}
	for i, t := range p.targets {
		tp.WithTarget(query(i, t))
	}
	b.WithPanel(tp)
}

func (b *board) stat(p panel) {
	sp := stat.NewPanelBuilder().
		Id(b.id()).
		Title(p.title).
		Description(p.desc).
		Datasource(datasource).
		Unit(p.unit).
		Span(p.span).
		Height(4).
		GraphMode(common.BigValueGraphModeNone).
		ColorMode(common.BigValueColorModeValue).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Thresholds(thresholds(p.threshold, p.lowIsBad))
	if p.showName {
		sp.TextMode(common.BigValueTextModeName)
	}
	if len(p.mappings) > 0 {
		sp.Mappings([]dashboard.ValueMapping{valueMap(p.mappings)})
	}
	for i, t := range p.targets {
		sp.WithTarget(query(i, t))
	}
	b.WithPanel(sp)
}

// query is a range query with refId A, B, ... Instant queries would be
// cheaper for stats, but range queries keep every panel's history
// inspectable and the tests treat all targets alike.
func query(i int, t target) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		RefId(string(rune('A' + i))).
		Datasource(datasource).
		Expr(strings.TrimSpace(t.expr)).
		LegendFormat(t.legend).
		Range()
}

func thresholds(at *float64, lowIsBad bool) *dashboard.ThresholdsConfigBuilder {
	below, above := "green", "red"
	if lowIsBad {
		below, above = above, below
	}
	steps := []dashboard.Threshold{{Color: below}}
	if at != nil {
		steps = append(steps, dashboard.Threshold{Value: at, Color: above})
	} else {
		steps[0].Color = "green"
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func valueMap(mappings map[string]mapping) dashboard.ValueMapping {
	options := make(map[string]dashboard.ValueMappingResult, len(mappings))
	for value, m := range mappings {
		options[value] = dashboard.ValueMappingResult{Text: ptr(m.text), Color: ptr(m.color)}
	}
	return dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: options}}
}

func all() dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: ptr("All")},
		Value: dashboard.StringOrArrayOfString{String: ptr("$__all")},
	}
}

func ptr[T any](v T) *T { return &v }
