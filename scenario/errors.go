package scenario

import "fmt"

// Error is a problem found while reading a scenario file. Its text is
// "FILE:LINE: message"; the message quotes the offending word.
type Error struct {
	File string // the name given to Parse (the path for ParseFile)
	Line int    // 1-based physical line
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

func errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}
