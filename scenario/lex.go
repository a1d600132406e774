package scenario

import (
	"strconv"
	"strings"
)

// token is one argument of a command line: a bare word, a key=value pair,
// or a quoted string (alone or as the value of a key).
type token struct {
	line   int    // physical line the token starts on
	text   string // as written, quotes and escapes included
	key    string // the part before the first '=' (when hasEq)
	hasEq  bool   // the token is key=value
	val    string // the value: after '=', the whole bare word, or the decoded string
	quoted bool   // val came from a double-quoted string
}

// logicalLine is one command: its tokens, joined across `\` continuations.
type logicalLine struct {
	line int // physical line of the first token
	toks []token
}

// lex splits src into logical lines of tokens.
//
// Rules (SCENARIO.md "Lexical rules"): `#` outside a string starts a comment
// that runs to the end of the physical line; a `\` that is the last thing on a
// physical line (only blanks or a comment may follow it) joins the next line
// to this one; tokens are separated by blanks; a double-quoted string may
// stand alone or directly follow the '=' of key=value.
func lex(file string, src []byte) ([]logicalLine, error) {
	var (
		lines   []logicalLine
		cur     []token
		curLine int
	)
	flush := func() {
		if len(cur) > 0 {
			lines = append(lines, logicalLine{line: curLine, toks: cur})
			cur = nil
		}
	}
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			flush()
			line++
			i++
		case isBlank(c):
			i++
		case c == '#':
			i = skipComment(src, i)
		case c == '\\' && isContinuation(src, i+1):
			i = skipContinuation(src, i+1)
			if i < len(src) { // consumed the newline
				line++
			}
		default:
			tok, next, err := lexWord(file, src, i, line)
			if err != nil {
				return nil, err
			}
			if len(cur) == 0 {
				curLine = line
			}
			cur = append(cur, tok)
			i = next
		}
	}
	flush()
	return lines, nil
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// skipComment returns the index of the newline ending the comment at i (or len).
func skipComment(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	return i
}

// isContinuation reports whether only blanks or a comment follow position j
// up to the end of the physical line.
func isContinuation(src []byte, j int) bool {
	for j < len(src) && isBlank(src[j]) {
		j++
	}
	return j >= len(src) || src[j] == '\n' || src[j] == '#'
}

// skipContinuation skips from j (just after the `\`) past the end of the
// physical line, newline included.
func skipContinuation(src []byte, j int) int {
	j = skipComment(src, j)
	if j < len(src) {
		j++ // the newline
	}
	return j
}

// isSep reports whether a word ends before position j.
func isSep(src []byte, j int) bool {
	if j >= len(src) {
		return true
	}
	c := src[j]
	return c == '\n' || c == '#' || isBlank(c) || (c == '\\' && isContinuation(src, j+1))
}

// lexWord reads one token starting at i.
func lexWord(file string, src []byte, i, line int) (token, int, error) {
	start := i
	tok := token{line: line}
	eq := -1 // index of the first '=' in the word
	for !isSep(src, i) {
		c := src[i]
		if c == '"' {
			if i != start && eq != i-1 {
				return tok, i, errorf(file, line, "unexpected quote in %q", string(src[start:i+1]))
			}
			s, next, err := lexString(file, src, i, line)
			if err != nil {
				return tok, next, err
			}
			if !isSep(src, next) {
				end := next
				for !isSep(src, end) {
					end++
				}
				return tok, next, errorf(file, line, "unexpected %q after string %q", string(src[next:end]), string(src[start:next]))
			}
			tok.text = string(src[start:next])
			tok.quoted = true
			tok.val = s
			if eq >= 0 {
				tok.hasEq = true
				tok.key = string(src[start:eq])
			}
			return tok, next, nil
		}
		if c == '=' && eq < 0 {
			eq = i
		}
		i++
	}
	tok.text = string(src[start:i])
	tok.val = tok.text
	if eq >= 0 {
		tok.hasEq = true
		tok.key = string(src[start:eq])
		tok.val = string(src[eq+1 : i])
	}
	return tok, i, nil
}

// lexString decodes the double-quoted string whose opening quote is at i.
// It returns the decoded bytes and the index just past the closing quote.
func lexString(file string, src []byte, i, line int) (string, int, error) {
	open := i
	i++
	var b strings.Builder
	for {
		if i >= len(src) || src[i] == '\n' {
			return "", i, errorf(file, line, "unterminated string %s", quoteStart(src[open:i]))
		}
		c := src[i]
		switch c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(src) || src[i+1] == '\n' {
				return "", i + 1, errorf(file, line, "unterminated string %s", quoteStart(src[open:i+1]))
			}
			switch e := src[i+1]; e {
			case 'n':
				b.WriteByte('\n')
				i += 2
			case 't':
				b.WriteByte('\t')
				i += 2
			case '\\':
				b.WriteByte('\\')
				i += 2
			case '"':
				b.WriteByte('"')
				i += 2
			case 'x':
				if i+3 < len(src) && isHex(src[i+2]) && isHex(src[i+3]) {
					v, _ := strconv.ParseUint(string(src[i+2:i+4]), 16, 8)
					b.WriteByte(byte(v))
					i += 4
					continue
				}
				end := i + 2
				for end < len(src) && end < i+4 && src[end] != '\n' && src[end] != '"' {
					end++
				}
				return "", i, errorf(file, line, "bad escape %q in string (want \\xHH)", string(src[i:end]))
			default:
				return "", i, errorf(file, line, "bad escape %q in string", string(src[i:i+2]))
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// quoteStart quotes the beginning of an unterminated string for a message.
func quoteStart(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max]) + "…")
	}
	return strconv.Quote(string(b))
}
