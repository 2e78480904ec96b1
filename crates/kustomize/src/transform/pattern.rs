//! A small regular-expression matcher for `images:` entry names.
//!
//! kustomize builds `^NAME(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`
//! from an entry's name without escaping it, and matches image references
//! with Go's RE2 engine; an invalid expression makes kustomize fail. This
//! module implements the part of RE2 syntax an image name can plausibly
//! contain: literals, `.`, bracket classes with ranges and negation, the
//! escapes `\d \D \w \W \s \S` and escaped punctuation, groups (`( )`,
//! `(?: )`, named groups), alternation, `* + ?` and `{n}`, `{n,}`,
//! `{n,m}` repetition (lazy forms match the same strings), and the anchors
//! `^` and `$`. Other syntax (flags, `\b`, Unicode classes, POSIX classes)
//! is refused as unsupported rather than guessed at.
//!
//! Matching uses a Pike VM (a thread list per input position), so time is
//! linear in the input for a given pattern and nothing can backtrack
//! exponentially. Programs are bounded in size.

use crate::error::{Error, Result};

/// Most instructions a compiled pattern may have.
const MAX_PROGRAM: usize = 20_000;
/// Largest repetition count RE2 accepts.
const MAX_REPEAT: u32 = 1000;

#[derive(Clone, Debug)]
enum Ast {
    Char(char),
    Any,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    Start,
    End,
    Concat(Vec<Ast>),
    Alt(Vec<Ast>),
    Repeat {
        node: Box<Ast>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Clone, Debug)]
enum Inst {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    prog: Vec<Inst>,
}

fn invalid(pattern: &str, why: &str) -> Error {
    Error::transformer(format!("error parsing regexp: {why}: `{pattern}`"))
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported {
        feature: format!("regular-expression syntax {what} in an images entry name"),
        path: None,
    }
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    src: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alt(&mut self, depth: usize) -> Result<Ast> {
        if depth > 100 {
            return Err(invalid(self.src, "expression nests too deeply"));
        }
        let mut branches = vec![self.concat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Ast::Concat(Vec::new()))
        } else {
            Ast::Alt(branches)
        })
    }

    fn concat(&mut self, depth: usize) -> Result<Ast> {
        let mut items: Vec<Ast> = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            let atom = self.quantified(atom)?;
            items.push(atom);
        }
        Ok(Ast::Concat(items))
    }

    fn atom(&mut self, depth: usize) -> Result<Ast> {
        let Some(c) = self.peek() else {
            return Err(invalid(self.src, "missing argument"));
        };
        self.pos += 1;
        Ok(match c {
            '.' => Ast::Any,
            '^' => Ast::Start,
            '$' => Ast::End,
            '*' | '+' | '?' => {
                return Err(invalid(self.src, "missing argument to repetition operator"))
            }
            '(' => {
                if self.peek() == Some('?') {
                    self.pos += 1;
                    match self.peek() {
                        Some(':') => self.pos += 1,
                        Some('P') | Some('<') => {
                            if self.peek() == Some('P') {
                                self.pos += 1;
                            }
                            if self.peek() != Some('<') {
                                return Err(invalid(self.src, "invalid named capture"));
                            }
                            while let Some(ch) = self.peek() {
                                self.pos += 1;
                                if ch == '>' {
                                    break;
                                }
                            }
                        }
                        _ => return Err(unsupported("(?flags)")),
                    }
                }
                let inner = self.alt(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err(invalid(self.src, "missing closing )"));
                }
                self.pos += 1;
                inner
            }
            ')' => return Err(invalid(self.src, "unexpected )")),
            '[' => self.class()?,
            '\\' => self.escape(false)?,
            other => Ast::Char(other),
        })
    }

    /// An escape after `\`; in a class, returns single characters only.
    fn escape(&mut self, in_class: bool) -> Result<Ast> {
        let Some(c) = self.peek() else {
            return Err(invalid(self.src, "trailing backslash at end of expression"));
        };
        self.pos += 1;
        let digit = vec![('0', '9')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        let space = vec![('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')];
        Ok(match c {
            'd' => Ast::Class {
                ranges: digit,
                negated: false,
            },
            'D' => Ast::Class {
                ranges: digit,
                negated: true,
            },
            'w' => Ast::Class {
                ranges: word,
                negated: false,
            },
            'W' => Ast::Class {
                ranges: word,
                negated: true,
            },
            's' => Ast::Class {
                ranges: space,
                negated: false,
            },
            'S' => Ast::Class {
                ranges: space,
                negated: true,
            },
            'n' => Ast::Char('\n'),
            't' => Ast::Char('\t'),
            'r' => Ast::Char('\r'),
            'f' => Ast::Char('\u{c}'),
            'v' => Ast::Char('\u{b}'),
            'a' => Ast::Char('\u{7}'),
            c if c.is_ascii_punctuation() => Ast::Char(c),
            c if c.is_ascii_alphanumeric() => {
                let _ = in_class;
                return Err(unsupported(&format!("\\{c}")));
            }
            _ => return Err(invalid(self.src, "invalid escape sequence")),
        })
    }

    fn class(&mut self) -> Result<Ast> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(invalid(self.src, "missing closing ]"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') {
                return Err(unsupported("[:class:]"));
            }
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Ast::Char(ch) => ch,
                    Ast::Class {
                        ranges: r,
                        negated: false,
                    } => {
                        ranges.extend(r);
                        continue;
                    }
                    _ => return Err(unsupported("a negated escape inside a class")),
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.pos += 1;
                let Some(h) = self.peek() else {
                    return Err(invalid(self.src, "missing closing ]"));
                };
                self.pos += 1;
                let hi = if h == '\\' {
                    match self.escape(true)? {
                        Ast::Char(ch) => ch,
                        _ => return Err(invalid(self.src, "invalid character class range")),
                    }
                } else {
                    h
                };
                if hi < lo {
                    return Err(invalid(self.src, "invalid character class range"));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Ast::Class { ranges, negated })
    }

    /// A repetition suffix, if any. A `{` that does not start a valid
    /// `{n}`, `{n,}` or `{n,m}` is a literal, as in RE2.
    fn quantified(&mut self, atom: Ast) -> Result<Ast> {
        let (min, max) = match self.peek() {
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('{') => match self.braces() {
                Some((end, min, max)) => {
                    self.pos = end;
                    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
                        return Err(invalid(self.src, "invalid repeat count"));
                    }
                    (min, max)
                }
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if self.peek() == Some('?') {
            self.pos += 1; // lazy: same set of matches
        }
        if matches!(self.peek(), Some('*') | Some('+') | Some('?')) {
            return Err(invalid(self.src, "invalid nested repetition operator"));
        }
        Ok(Ast::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at the cursor without moving it:
    /// (position after `}`, min, max).
    fn braces(&self) -> Option<(usize, u32, Option<u32>)> {
        let mut i = self.pos + 1;
        let num = |i: &mut usize| -> Option<u32> {
            let start = *i;
            while self.chars.get(*i).is_some_and(char::is_ascii_digit) {
                *i += 1;
            }
            if *i == start || *i - start > 6 {
                return None;
            }
            self.chars[start..*i]
                .iter()
                .collect::<String>()
                .parse()
                .ok()
        };
        let min = num(&mut i)?;
        let max = match self.chars.get(i) {
            Some('}') => Some(min),
            Some(',') => {
                i += 1;
                if self.chars.get(i) == Some(&'}') {
                    None
                } else {
                    Some(num(&mut i)?)
                }
            }
            _ => return None,
        };
        if self.chars.get(i) != Some(&'}') {
            return None;
        }
        Some((i + 1, min, max))
    }
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn emit(&mut self, i: Inst) -> Result<usize> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err(unsupported("this large"));
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn compile(&mut self, ast: &Ast) -> Result<()> {
        match ast {
            Ast::Char(c) => self.emit(Inst::Char(*c)).map(drop),
            Ast::Any => self.emit(Inst::Any).map(drop),
            Ast::Class { ranges, negated } => {
                self.emit(Inst::Class(ranges.clone(), *negated)).map(drop)
            }
            Ast::Start => self.emit(Inst::Start).map(drop),
            Ast::End => self.emit(Inst::End).map(drop),
            Ast::Concat(items) => items.iter().try_for_each(|a| self.compile(a)),
            Ast::Alt(branches) => {
                let mut jumps = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(b)?;
                        jumps.push(self.emit(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.compile(b)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
                Ok(())
            }
            Ast::Repeat { node, min, max } => {
                for _ in 0..*min {
                    self.compile(node)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(node)?;
                        self.emit(Inst::Jmp(split))?;
                        let end = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        for _ in *min..*max {
                            let split = self.emit(Inst::Split(0, 0))?;
                            self.compile(node)?;
                            let end = self.prog.len();
                            self.prog[split] = Inst::Split(split + 1, end);
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

impl Pattern {
    /// Compiles an RE2-syntax pattern (the supported subset).
    pub(crate) fn new(src: &str) -> Result<Pattern> {
        let mut p = Parser {
            chars: src.chars().collect(),
            pos: 0,
            src,
        };
        let ast = p.alt(0)?;
        if p.pos < p.chars.len() {
            return Err(invalid(src, "unexpected )"));
        }
        let mut c = Compiler { prog: Vec::new() };
        c.compile(&ast)?;
        c.emit(Inst::Match)?;
        Ok(Pattern { prog: c.prog })
    }

    /// Whether the pattern matches anywhere in `text` (Go's `MatchString`).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let n = self.prog.len();
        let mut clist: Vec<usize> = Vec::new();
        let mut nlist: Vec<usize> = Vec::new();
        let mut seen = vec![usize::MAX; n];
        for pos in 0..=chars.len() {
            // unanchored search: a new thread may start at every position
            self.add(&mut clist, &mut seen, 0, pos, chars.len());
            if clist.iter().any(|pc| matches!(self.prog[*pc], Inst::Match)) {
                return true;
            }
            let Some(&c) = chars.get(pos) else { break };
            nlist.clear();
            let stamp = pos + 1;
            let mut next_seen = std::mem::take(&mut seen);
            for &pc in &clist {
                let ok = match &self.prog[pc] {
                    Inst::Char(x) => *x == c,
                    Inst::Any => c != '\n',
                    Inst::Class(ranges, negated) => {
                        ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
                    }
                    _ => false,
                };
                if ok {
                    self.add_at(&mut nlist, &mut next_seen, pc + 1, stamp, chars.len());
                }
            }
            seen = next_seen;
            std::mem::swap(&mut clist, &mut nlist);
        }
        false
    }

    fn add(&self, list: &mut Vec<usize>, seen: &mut [usize], pc: usize, pos: usize, len: usize) {
        self.add_at(list, seen, pc, pos, len);
    }

    /// Adds the thread at `pc` for input position `pos`, following jumps,
    /// splits and anchors. `seen[pc] == pos` marks threads already added.
    fn add_at(&self, list: &mut Vec<usize>, seen: &mut [usize], pc: usize, pos: usize, len: usize) {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if pc >= self.prog.len() || seen[pc] == pos {
                continue;
            }
            seen[pc] = pos;
            match self.prog[pc] {
                Inst::Jmp(x) => stack.push(x),
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Start => {
                    if pos == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if pos == len {
                        stack.push(pc + 1);
                    }
                }
                _ => list.push(pc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::new(p).unwrap().is_match(s)
    }

    #[test]
    fn basics() {
        assert!(m("^abc$", "abc"));
        assert!(!m("^abc$", "abcd"));
        assert!(m("abc", "xxabcxx"));
        assert!(m("^a.c$", "abc"));
        assert!(!m("^a.c$", "a\nc"));
        assert!(m("^a|b$", "axxx"));
        assert!(m("^a|b$", "xxxb"));
        assert!(!m("^a|b$", "xbx"));
        assert!(m("^(ab)+$", "ababab"));
        assert!(!m("^(ab)+$", ""));
        assert!(m("^a*$", ""));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^a{2,}$", "aaaaa"));
        assert!(m("^a{$", "a{"));
        assert!(m("^[a-c]+$", "abcabc"));
        assert!(!m("^[^a-c]+$", "abd"));
        assert!(m("^\\d+\\.\\d+$", "1.21"));
        assert!(m("^(?:x|y)z$", "yz"));
        assert!(m("^(?P<n>x)$", "x"));
        assert!(m("^[]a]$", "]"));
        assert!(m("^(a*)*$", "aaaa"));
        assert!(m("^(a|)+b$", "aab"));
    }

    #[test]
    fn image_pattern() {
        let p =
            |name: &str| format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$");
        assert!(m(&p("nginx"), "nginx:1.0@sha256:abc"));
        assert!(m(&p("nginx"), "nginx:{{tag}}"));
        assert!(!m(&p("nginx"), "nginx@md5:x"));
        assert!(m(&p("a.c"), "abc:1"));
        assert!(m(&p("reg.io:5000/app"), "reg.io:5000/app"));
        assert!(m(&p("(nginx|redis)"), "redis:7"));
    }

    #[test]
    fn errors() {
        for bad in [
            "[", "(", ")", "*a", "a**", "a{1001}", "\\", "[b-a]", "a{3,2}",
        ] {
            assert!(Pattern::new(bad).is_err(), "{bad}");
        }
        for unsupported in ["(?i)a", "\\bword", "[[:alpha:]]", "\\pL"] {
            assert!(
                matches!(Pattern::new(unsupported), Err(Error::Unsupported { .. })),
                "{unsupported}"
            );
        }
    }
}
