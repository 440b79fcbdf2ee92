package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// LoTWCredentials are what a user stores for LoTW: the web account login
// (case preserved: LoTW compares it case-sensitively) and password.
type LoTWCredentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// DCLCredentials are what a user stores for DCL: the API key.
type DCLCredentials struct {
	Key string `json:"key"`
}

// SetLoTWCredentials stores a user's LoTW login sealed, and clears any
// invalid mark and back-off. Returns EINVALID for an empty username or
// password and EFORBIDDEN when no secrets key is configured.
func (s *Syncer) SetLoTWCredentials(ctx context.Context, userID int64, username, password string) error {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return awardtracker.Errorf(awardtracker.EINVALID, "LoTW username and password are required")
	}
	return s.putCredentials(ctx, userID, awardtracker.SourceLoTW, LoTWCredentials{Username: username, Password: password})
}

// SetDCLCredentials stores a user's DCL key sealed; see SetLoTWCredentials.
func (s *Syncer) SetDCLCredentials(ctx context.Context, userID int64, key string) error {
	key = strings.TrimSpace(key)
	if key == "" {
		return awardtracker.Errorf(awardtracker.EINVALID, "a DCL key is required")
	}
	return s.putCredentials(ctx, userID, awardtracker.SourceDCL, DCLCredentials{Key: key})
}

// DeleteLoTWCredentials forgets the user's stored LoTW login, so that LoTW
// is no longer synced for them. A sync already running finishes; deleting
// absent credentials is not an error.
func (s *Syncer) DeleteLoTWCredentials(ctx context.Context, userID int64) error {
	return s.states.DeleteCredentials(ctx, userID, awardtracker.SourceLoTW)
}

// DeleteDCLCredentials forgets the user's stored DCL key; see
// DeleteLoTWCredentials.
func (s *Syncer) DeleteDCLCredentials(ctx context.Context, userID int64) error {
	return s.states.DeleteCredentials(ctx, userID, awardtracker.SourceDCL)
}

func (s *Syncer) putCredentials(ctx context.Context, userID int64, src awardtracker.Source, creds any) error {
	if s.box == nil {
		return awardtracker.Errorf(awardtracker.EFORBIDDEN,
			"storing %s credentials is disabled: the service must be started with --secrets.key", sourceName(src))
	}
	plain, err := json.Marshal(creds)
	if err != nil {
		return awardtracker.WrapError(awardtracker.EINTERNAL, "encode credentials", err)
	}
	sealed, err := s.box.Seal(plain, sealContext(userID, src))
	clear(plain)
	if err != nil {
		return awardtracker.WrapError(awardtracker.EINTERNAL, "seal credentials", err)
	}
	return s.states.PutCredentials(ctx, userID, src, sealed)
}

// sealContext binds sealed credentials to their user and source, so that a
// value copied to another row does not open.
func sealContext(userID int64, src awardtracker.Source) string {
	return "sync/" + string(src) + "/" + strconv.FormatInt(userID, 10)
}

func sourceName(src awardtracker.Source) string {
	if src == awardtracker.SourceDCL {
		return "DCL"
	}
	return "LoTW"
}

// download opens the stored credentials and starts the download.
func (s *Syncer) download(ctx context.Context, st *awardtracker.SyncState) (awardtracker.Report, error) {
	if s.box == nil {
		return nil, errCannotOpen(st.Source, "the service was started without --secrets.key")
	}
	plain, err := s.box.Open(st.Credentials, sealContext(st.UserID, st.Source))
	if err != nil {
		return nil, errCannotOpen(st.Source, "was --secrets.key changed?")
	}
	defer clear(plain)
	if st.Source == awardtracker.SourceDCL {
		var c DCLCredentials
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, errCannotOpen(st.Source, "they are not DCL credentials")
		}
		return s.dcl.Download(ctx, c.Key, st.Cursor)
	}
	var c LoTWCredentials
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, errCannotOpen(st.Source, "they are not LoTW credentials")
	}
	return s.lotw.Download(ctx, c.Username, c.Password, st.Cursor)
}

// errUnreadable marks stored credentials that cannot be decrypted: like a
// rejected login, retrying will not help until the user stores them again.
var errUnreadable = errors.New("syncer: stored credentials unreadable")

func errCannotOpen(src awardtracker.Source, why string) error {
	return &awardtracker.Error{Code: awardtracker.EINTERNAL, Err: errUnreadable,
		Message: fmt.Sprintf("the stored %s credentials cannot be decrypted (%s): store them again", sourceName(src), why)}
}
