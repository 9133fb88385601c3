// Package apperr declares the few error kinds every layer of the platform
// understands. Modules wrap them with their operation; the HTTP layer maps them
// to RFC 9457 problem responses in one place (httpapi), so handlers never pick
// status codes by hand.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind sentinels, matched with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrUnavailable  = errors.New("unavailable")
	ErrInvalid      = errors.New("invalid input")
	ErrTooMany      = errors.New("too many requests")
)

// FieldError names one invalid input field and why it is invalid. Field is a
// path such as "body.vin", "query.sort" or, for imports, "row 12.vin".
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Value  any    `json:"value,omitempty"`
}

func (f FieldError) Error() string { return f.Field + ": " + f.Reason }

// Invalid is an input validation failure listing every problem found, so a
// client can fix all of them at once. It matches ErrInvalid.
type Invalid struct {
	Fields []FieldError
}

func (e *Invalid) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is reports kinship with ErrInvalid.
func (e *Invalid) Is(target error) bool { return target == ErrInvalid }

// Add records one more invalid field.
func (e *Invalid) Add(field, reason string, value any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason, Value: value})
}

// Err returns e when it holds any field error, nil otherwise. It lets
// validators collect problems and return them in one statement.
func (e *Invalid) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Field builds an Invalid error for a single field.
func Field(field, reason string, value any) error {
	return &Invalid{Fields: []FieldError{{Field: field, Reason: reason, Value: value}}}
}

// Fields returns the field errors carried by err, if any.
func Fields(err error) []FieldError {
	var inv *Invalid
	if errors.As(err, &inv) {
		return inv.Fields
	}
	return nil
}

// NotFound wraps ErrNotFound with what was looked up.
func NotFound(what string, id any) error {
	return fmt.Errorf("%s %v: %w", what, id, ErrNotFound)
}

// Conflict wraps ErrConflict with a reason a user can act on.
func Conflict(reason string) error {
	return fmt.Errorf("%s: %w", reason, ErrConflict)
}

// Forbidden wraps ErrForbidden with a reason.
func Forbidden(reason string) error {
	return fmt.Errorf("%s: %w", reason, ErrForbidden)
}
