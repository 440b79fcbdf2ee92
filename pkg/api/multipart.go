package api

import (
	"errors"
	"io"
	"mime/multipart"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// multipartFile returns the part named "file" of a multipart body, streaming:
// the file is never buffered whole.
func multipartFile(body io.Reader, boundary string) (io.Reader, error) {
	if boundary == "" {
		return nil, awardtracker.Errorf(awardtracker.EINVALID, "multipart body without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, awardtracker.Errorf(awardtracker.EINVALID, `multipart body has no field "file"`)
		}
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return nil, err
			}
			return nil, awardtracker.Errorf(awardtracker.EINVALID, "malformed multipart body")
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}
