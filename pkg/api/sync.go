package api

import (
	"net/http"
	"strconv"

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
	getAndHead(g, "/jobs/:id", s.handleSyncJobView)
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

// handleSyncCreate starts a sync; ?full=true asks for a full LoTW
// re-download, which the syncer allows once a day (409; the error handler
// sets Retry-After from the error).
func (s *Server) handleSyncCreate(src awardtracker.Source) echo.HandlerFunc {
	return func(c echo.Context) error {
		full := false
		if v := c.QueryParam("full"); v != "" {
			var err error
			if full, err = strconv.ParseBool(v); err != nil {
				return awardtracker.Errorf(awardtracker.EINVALID, "full must be true or false, not %q", v)
			}
		}
		if full && src != awardtracker.SourceLoTW {
			return awardtracker.Errorf(awardtracker.EINVALID, "a full re-download is offered for LoTW only")
		}
		ctx, uid := c.Request().Context(), userID(c)
		var job *awardtracker.SyncJob
		var err error
		if full {
			job, err = s.cfg.Syncer.StartFull(ctx, uid)
		} else {
			job, err = s.cfg.Syncer.Start(ctx, uid, src)
		}
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
