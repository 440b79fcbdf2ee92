package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerSyncRoutes() {
	me := s.echo.Group("/api/me", s.limited(s.requireUser)...)
	me.PUT("/lotw", s.handleLoTWCredentialsUpdate)
	me.PUT("/dcl", s.handleDCLCredentialsUpdate)
	me.DELETE("/lotw", s.handleLoTWCredentialsDelete)
	me.DELETE("/dcl", s.handleDCLCredentialsDelete)
	g := s.echo.Group("/api/sync", s.limited(s.requireUser)...)
	g.POST("/lotw", s.handleSyncCreate(awardtracker.SourceLoTW))
	g.POST("/dcl", s.handleSyncCreate(awardtracker.SourceDCL))
	g.GET("/jobs/:id", s.handleSyncJobView)
}

type loTWCredentialsRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type dclCredentialsRequest struct {
	Key string `json:"key"`
}

func (s *Server) handleLoTWCredentialsUpdate(c echo.Context) error {
	var req loTWCredentialsRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Syncer.SetLoTWCredentials(c.Request().Context(), userID(c), req.Username, req.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleDCLCredentialsUpdate(c echo.Context) error {
	var req dclCredentialsRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Syncer.SetDCLCredentials(c.Request().Context(), userID(c), req.Key); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleLoTWCredentialsDelete forgets the stored LoTW login: 204 whether or
// not there was one, so that a retried DELETE is not an error. A sync
// already running finishes; no later one starts.
func (s *Server) handleLoTWCredentialsDelete(c echo.Context) error {
	if err := s.cfg.Syncer.DeleteLoTWCredentials(c.Request().Context(), userID(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleDCLCredentialsDelete forgets the stored DCL key, as above.
func (s *Server) handleDCLCredentialsDelete(c echo.Context) error {
	if err := s.cfg.Syncer.DeleteDCLCredentials(c.Request().Context(), userID(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleSyncCreate(src awardtracker.Source) echo.HandlerFunc {
	return func(c echo.Context) error {
		job, err := s.cfg.Syncer.Start(c.Request().Context(), userID(c), src)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/sync/jobs/"+job.ID)
		return c.JSON(http.StatusAccepted, job)
	}
}

func (s *Server) handleSyncJobView(c echo.Context) error {
	job, err := s.cfg.Syncer.Job(userID(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}
