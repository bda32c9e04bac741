// Package apperr is the platform's single error type: a code that maps to an
// HTTP status, a message that is safe to show to users (in Vietnamese), the
// offending fields for forms, and the wrapped cause for the logs.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers and for HTTP status mapping.
type Code string

const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	TooMany      Code = "too_many_requests"
	Internal     Code = "internal"
)

// Error is an application error. Message is shown to users; Err is only logged.
type Error struct {
	Code    Code
	Message string
	// Fields maps a form field name to a user-facing message about it.
	Fields map[string]string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error with a code and a user-facing message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap makes an internal error that keeps its cause for the logs and shows users
// a generic message.
func Wrap(err error, context string) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return &Error{Code: Internal, Message: "Lỗi hệ thống, vui lòng thử lại sau.", Err: fmt.Errorf("%s: %w", context, err)}
}

// Field makes an Invalid error about one form field.
func Field(field, message string) *Error {
	return &Error{Code: Invalid, Message: message, Fields: map[string]string{field: message}}
}

// Fields collects per-field problems; its Err method returns nil when there are none.
type Fields map[string]string

// Add records a problem with a field, keeping the first one reported.
func (f Fields) Add(field, message string) {
	if _, ok := f[field]; !ok {
		f[field] = message
	}
}

// Err returns an Invalid error listing the problems, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg := "Dữ liệu không hợp lệ."
	if len(f) == 1 {
		for _, m := range f {
			msg = m
		}
	}
	return &Error{Code: Invalid, Message: msg, Fields: map[string]string(f)}
}

// CodeOf returns the code of err, Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return Internal
}

// MessageOf returns the user-facing message of err.
func MessageOf(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "Lỗi hệ thống, vui lòng thử lại sau."
}

// FieldsOf returns the per-field messages of err, if any.
func FieldsOf(err error) map[string]string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Fields
	}
	return nil
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
