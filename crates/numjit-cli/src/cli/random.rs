//! The random numbers of `random(...)` in the REPL and of `numjit bench`'s inputs: SplitMix64
//! (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the
//! generator Java's `SplittableRandom` uses and the one the xoshiro authors recommend for
//! seeding). It is a few integer operations on a 64-bit state, so a seed gives the same numbers
//! on every platform, and it passes BigCrush.
//!
//! A float64 in [0, 1) is the top 53 bits of the next output times 2⁻⁵³, the way NumPy and most
//! libraries turn a 64-bit output into a double; a float32 is the top 24 bits times 2⁻²⁴.

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment, then mixed.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The generator whose first output is the mix of `seed + 0x9E3779B97F4A7C15`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float64 uniform in [0, 1): the top 53 bits times 2⁻⁵³.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A float32 uniform in [0, 1): the top 24 bits times 2⁻²⁴.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn reference_outputs() {
        // The first outputs for seed 0 in the reference implementation (splitmix64.c by
        // Sebastiano Vigna).
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(g.next_u64(), 0x06C4_5D18_8009_454F);
        let x = SplitMix64::new(7).next_f64();
        assert!((0.0..1.0).contains(&x));
        let y = SplitMix64::new(0).next_f32();
        assert_eq!(y, (0xE220_A839_7B1D_CDAFu64 >> 40) as f32 / 16_777_216.0);
    }
}
