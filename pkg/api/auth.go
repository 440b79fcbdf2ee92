package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

func (s *Server) registerAuthRoutes() {
	g := s.echo.Group("/api/auth", s.limited(s.cfg.AuthLimit)...)
	g.POST("/register", s.handleRegister)
	g.POST("/login", s.handleLogin)
}

type credentialsRequest struct {
	Callsign string `json:"callsign"`
	Password string `json:"password"`
}

type registerResponse struct {
	Token string             `json:"token"`
	User  *awardtracker.User `json:"user"`
}

type loginResponse struct {
	Token string `json:"token"`
}

func (s *Server) handleRegister(c echo.Context) error {
	var req credentialsRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, tok, err := s.cfg.Auth.Register(c.Request().Context(), req.Callsign, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, registerResponse{Token: tok, User: u})
}

func (s *Server) handleLogin(c echo.Context) error {
	var req credentialsRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	_, tok, err := s.cfg.Auth.LoginFrom(c.Request().Context(), c.RealIP(), req.Callsign, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{Token: tok})
}

const userIDKey = "awardtracker.user_id"

// requireUser admits requests with a valid bearer token and records whose
// they are; every user route reads the user id from there and nowhere else,
// so no route can act on another user's data.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="awardtracker"`)
			return awardtracker.Errorf(awardtracker.EUNAUTHORIZED, "missing bearer token: log in at /api/auth/login")
		}
		claims, err := s.cfg.Auth.Verify(c.Request().Context(), tok)
		if err != nil {
			if awardtracker.ErrorCode(err) == awardtracker.EUNAUTHORIZED {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="awardtracker", error="invalid_token"`)
			}
			return err // or the storage's: the token's user could not be looked up
		}
		c.Set(userIDKey, claims.UserID)
		return next(c)
	}
}

// userID returns the id requireUser stored.
func userID(c echo.Context) int64 { return c.Get(userIDKey).(int64) }
