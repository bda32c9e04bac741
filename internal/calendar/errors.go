package calendar

import (
	"errors"
	"fmt"
)

// Errors returned by the package wrap one of these; test with errors.Is. The
// messages of the returned errors are in Vietnamese and safe to show to users.
var (
	ErrInvalid    = errors.New("dữ liệu không hợp lệ")
	ErrOutOfRange = errors.New("ngoài phạm vi lịch hỗ trợ (năm 1900–2100)")
)

// userError carries a user-facing Vietnamese message and the sentinel it
// belongs to, without repeating the sentinel's text in the message.
type userError struct {
	msg  string
	kind error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.kind }

func invalidf(format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...), kind: ErrInvalid}
}

func outOfRange(what string) error {
	return &userError{
		msg:  fmt.Sprintf("%s nằm ngoài phạm vi lịch hỗ trợ (từ %d-01-01 đến %d-12-31)", what, MinYear, MaxYear),
		kind: ErrOutOfRange,
	}
}
