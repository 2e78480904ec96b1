//! Floats as Go prints them, for the two printers kustomize's output goes
//! through.
//!
//! Both start from the shortest decimal digits that read back as the same
//! `f64`, and write them either in fixed form (`1500`, `0.25`) or in
//! exponent form (`1.5e+06`). They differ only in when they switch to the
//! exponent and in how the exponent is written:
//!
//! - go-yaml v2 uses `strconv.FormatFloat(f, 'g', -1, 64)` ([`yaml_float`]):
//!   exponent form when the decimal exponent is below -4 or at least 6
//!   (the `%g` rule with shortest digits), the exponent with at least two
//!   digits (`1e-07`).
//! - `encoding/json` ([`json_float`]): exponent form when the magnitude is
//!   below 1e-6 or at least 1e21, and a negative exponent loses its
//!   leading zero (`1e-7`; a positive one keeps it: `1e+21`, `1e+06`).

/// Shortest round-trip decimal digits of `f`, without sign, and the
/// decimal point position: `|f| = 0.DIGITS × 10^dp`. Whether `f` is
/// negative (zero counts as not).
fn shortest_digits(f: f64) -> (bool, String, i32) {
    // Rust's `{:e}` prints the shortest digits that round-trip.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (f.is_sign_negative() && f != 0.0, digits, exp + 1)
}

/// NaN and the infinities as YAML writes them.
fn special(f: f64) -> Option<String> {
    if f.is_nan() {
        Some(".nan".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 { ".inf" } else { "-.inf" }.into())
    } else {
        None
    }
}

/// `digits` with the point `dp` places in: Go's `%f` with the shortest
/// digits.
fn push_fixed(s: &mut String, digits: &str, dp: i32) {
    if dp <= 0 {
        s.push_str("0.");
        for _ in 0..(-dp) {
            s.push('0');
        }
        s.push_str(digits);
    } else if dp as usize >= digits.len() {
        s.push_str(digits);
        for _ in 0..(dp as usize - digits.len()) {
            s.push('0');
        }
    } else {
        s.push_str(&digits[..dp as usize]);
        s.push('.');
        s.push_str(&digits[dp as usize..]);
    }
}

/// `digits` as `d.ddde±XX`, the exponent with at least `min_exp_digits`
/// digits: Go's `%e` with the shortest digits.
fn push_exponent(s: &mut String, digits: &str, exp: i32, min_exp_digits: usize) {
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs().to_string();
    for _ in e.len()..min_exp_digits {
        s.push('0');
    }
    s.push_str(&e);
}

/// A float as go-yaml v2 prints it: Go's
/// `strconv.FormatFloat(f, 'g', -1, 64)`; NaN and the infinities as
/// `.nan`, `.inf`, `-.inf`.
pub fn yaml_float(f: f64) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (neg, digits, dp) = shortest_digits(f);
    let mut s = String::with_capacity(digits.len() + 8);
    if neg {
        s.push('-');
    }
    let exp = dp - 1;
    if (-4..6).contains(&exp) {
        push_fixed(&mut s, &digits, dp);
    } else {
        push_exponent(&mut s, &digits, exp, 2);
    }
    s
}

/// A float as Go's `encoding/json` prints it. Go refuses NaN and the
/// infinities; callers that must fail on them check first, and here they
/// print as YAML would.
pub(crate) fn json_float(f: f64) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (neg, digits, dp) = shortest_digits(f);
    let mut s = String::with_capacity(digits.len() + 8);
    if neg {
        s.push('-');
    }
    if (1e-6..1e21).contains(&f.abs()) {
        push_fixed(&mut s, &digits, dp);
    } else {
        let exp = dp - 1;
        push_exponent(&mut s, &digits, exp, if exp < 0 { 1 } else { 2 });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_floats_like_go_g_format() {
        for (f, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (1.5e-300, "1.5e-300"),
            (f64::NAN, ".nan"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
        ] {
            assert_eq!(yaml_float(f), want, "{f:e}");
        }
    }

    #[test]
    fn json_floats_like_go_encoding_json() {
        for (f, want) in [
            (1.0, "1"),
            (1500.0, "1500"),
            (0.5, "0.5"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.25e-12, "1.25e-12"),
            (0.000001, "0.000001"),
            (123456789.0, "123456789"),
            (1e20, "100000000000000000000"),
            (-2.5, "-2.5"),
            (-0.0, "-0"),
        ] {
            assert_eq!(json_float(f), want, "{f:e}");
        }
    }
}
