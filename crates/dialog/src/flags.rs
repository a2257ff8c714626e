//! [`DialogFlags`]: the 32 per-dialog flags of OpenSIPS/Kamailio (`set_dlg_flag`,
//! `dlg_setflag`), numbered 0 to 31. Bookkeeping only: no flag changes what the machine does.

use crate::error::Error;

/// 32 flags in one word.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct DialogFlags(pub u32);

impl DialogFlags {
    /// Number of flags.
    pub const COUNT: u32 = 32;

    fn mask(index: u32) -> Result<u32, Error> {
        if index < Self::COUNT {
            Ok(1 << index)
        } else {
            Err(Error::FlagOutOfRange(index))
        }
    }

    /// Sets flag `index`.
    pub fn set(&mut self, index: u32) -> Result<(), Error> {
        self.0 |= Self::mask(index)?;
        Ok(())
    }

    /// Clears flag `index`.
    pub fn reset(&mut self, index: u32) -> Result<(), Error> {
        self.0 &= !Self::mask(index)?;
        Ok(())
    }

    /// Whether flag `index` is set.
    pub fn is_set(self, index: u32) -> Result<bool, Error> {
        Ok(self.0 & Self::mask(index)? != 0)
    }

    /// All flags as one word (bit `i` = flag `i`).
    pub fn bits(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_reset_and_range() {
        enum Op {
            Set(u32),
            Reset(u32),
        }
        let table: [(Op, Result<u32, Error>); 6] = [
            (Op::Set(0), Ok(0b1)),
            (Op::Set(31), Ok(0x8000_0001)),
            (Op::Set(3), Ok(0x8000_0009)),
            (Op::Reset(0), Ok(0x8000_0008)),
            (Op::Set(32), Err(Error::FlagOutOfRange(32))),
            (Op::Reset(99), Err(Error::FlagOutOfRange(99))),
        ];
        let mut f = DialogFlags::default();
        for (op, want) in table {
            let got = match op {
                Op::Set(i) => f.set(i),
                Op::Reset(i) => f.reset(i),
            };
            match want {
                Ok(bits) => {
                    assert_eq!(got, Ok(()));
                    assert_eq!(f.bits(), bits);
                }
                Err(e) => assert_eq!(got, Err(e)),
            }
        }
        assert_eq!(f.is_set(31), Ok(true));
        assert_eq!(f.is_set(0), Ok(false));
        assert_eq!(f.is_set(32), Err(Error::FlagOutOfRange(32)));
    }
}
