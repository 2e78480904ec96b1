//! Did-you-mean: the closest known name to a misspelt one.
//!
//! Optimal string alignment distance (Levenshtein plus adjacent
//! transpositions, so `reids` -> `redis` costs 1). A suggestion is offered
//! only when the distance is small against the word's length, so unrelated
//! names are not proposed.

/// Edit distance with adjacent transpositions, over characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The best candidate for `word`, if one is close enough: at most a third
/// of the word's length (at least 1), ties broken by the candidates' order.
/// Case-only differences always qualify.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.eq_ignore_ascii_case(word) {
            0
        } else {
            distance(&word.to_lowercase(), &c.to_lowercase())
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("reddis", "redis"), 1);
        assert_eq!(distance("reids", "redis"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions_are_close_or_absent() {
        let names = ["api", "database", "redis", "replicas"];
        assert_eq!(did_you_mean("reddis", names), Some("redis"));
        assert_eq!(did_you_mean("databse", names), Some("database"));
        assert_eq!(did_you_mean("replica", names), Some("replicas"));
        assert_eq!(did_you_mean("Api", names), Some("api"));
        assert_eq!(did_you_mean("monitoring", names), None);
    }
}
