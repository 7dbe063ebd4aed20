//! Shared immutable strings for the record fields that repeat.
//!
//! A probe log names the same agent, region, test and target on every one
//! of its millions of lines, and an access log the same few methods and
//! endpoint templates. Owned `String`s made each record carry five or six
//! heap blocks of its own: allocating, filling, faulting in and freeing
//! them was most of the difference between the readers and a bare
//! `serde_json` pass over the same lines, and the biggest part of the
//! records' memory. A [`Sym`] is one pointer to a reference-counted string;
//! the readers [`intern`] through a small per-thread table, so equal
//! strings of one file share one allocation and a record costs a counter
//! increment per field instead of a `malloc` and a copy.
//!
//! `Sym` reads like a `&str` (it derefs to one, compares with one,
//! serializes and prints as one), so the stages after ingest did not have
//! to change how they use these fields.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A shared, immutable string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sym(Arc<str>);

impl Sym {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Sym {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym(Arc::from(s))
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Sym {
        Sym(Arc::from(s))
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Sym {
        Sym(Arc::from(s.as_str()))
    }
}

impl From<Sym> for String {
    fn from(s: Sym) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, o: &str) -> bool {
        &*self.0 == o
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, o: &&str) -> bool {
        &*self.0 == *o
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, o: &String) -> bool {
        &*self.0 == o.as_str()
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, o: &Sym) -> bool {
        self == &*o.0
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, o: &Sym) -> bool {
        *self == &*o.0
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, o: &Sym) -> bool {
        self.as_str() == &*o.0
    }
}

/// Fx, the multiply-rotate hash rustc uses for its own tables (from
/// `rustc-hash`): the hot paths hash a few short keys per record, and
/// SipHash's DoS resistance buys nothing on one's own files. Deterministic;
/// nothing iterates a map in hash order.
pub use rustc_hash::FxHasher;
/// A `HashMap` with [`FxHasher`].
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// A `HashSet` with [`FxHasher`].
pub type FxSet<K> = rustc_hash::FxHashSet<K>;

/// Distinct strings a thread keeps before starting over: enough for every
/// agent, region, test, target and endpoint template of a real incident,
/// small enough that a file of unique strings (free-text errors with ids
/// in them) cannot grow it without bound.
const INTERN_CAP: usize = 1 << 16;

thread_local! {
    static TABLE: RefCell<FxSet<Sym>> = RefCell::new(FxSet::default());
}

/// The shared copy of `s` from this thread's table (added if new). Equal
/// strings interned on different threads may be different allocations;
/// they still compare, hash and order as equal, which is all that matters
/// to anything downstream.
pub fn intern(s: &str) -> Sym {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(x) = t.get(s) {
            return x.clone();
        }
        if t.len() >= INTERN_CAP {
            t.clear();
        }
        let x = Sym::from(s);
        t.insert(x.clone());
        x
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    #[test]
    fn interned_strings_share_and_behave_like_str() {
        let a = intern("probe-fra-1");
        let b = intern(&String::from("probe-fra-1"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "probe-fra-1");
        assert_eq!("probe-fra-1", a);
        assert_eq!(a.len(), 11);
        assert_eq!(format!("{a} {a:?}"), "probe-fra-1 \"probe-fra-1\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"probe-fra-1\"");
        let (x, y) = (intern("a"), intern("b"));
        assert!(x < y, "orders as the strings do");
        let mut h1 = FxHasher::default();
        let mut h2 = FxHasher::default();
        a.hash(&mut h1);
        "probe-fra-1".hash(&mut h2);
        assert_eq!(h1.finish(), h2.finish(), "Borrow<str> needs equal hashes");
    }

    #[test]
    fn the_table_is_bounded() {
        for i in 0..INTERN_CAP + 10 {
            intern(&format!("unique-{i}"));
        }
        TABLE.with(|t| assert!(t.borrow().len() <= INTERN_CAP));
        assert_eq!(intern("unique-3"), "unique-3");
    }
}
