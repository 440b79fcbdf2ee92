package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerAwardRoutes() {
	g := s.echo.Group("/api/awards", s.limited(s.requireUser)...)
	getAndHead(g, "", s.handleAwardIndex)
	getAndHead(g, "/:id", s.handleAwardView)
}

type awardIndexResponse struct {
	Awards []awardtracker.AwardProgress `json:"awards"`
}

func (s *Server) handleAwardIndex(c echo.Context) error {
	awards, err := s.cfg.Awards.Awards(c.Request().Context(), userID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, awardIndexResponse{Awards: awards})
}

func (s *Server) handleAwardView(c echo.Context) error {
	awards, err := s.cfg.Awards.Awards(c.Request().Context(), userID(c))
	if err != nil {
		return err
	}
	id := c.Param("id")
	for i := range awards {
		if awards[i].ID == id {
			return c.JSON(http.StatusOK, awards[i])
		}
	}
	return awardtracker.Errorf(awardtracker.ENOTFOUND, "unknown award %q: want one of dxcc, was, waz, vucc, dld", id)
}
