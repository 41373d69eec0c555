//! Owns the reference (scalar, plain Rust) float64 math: the same algorithms as the JIT's vector kernels, evaluated without generated code.
//! Must not touch Cranelift, codegen, exec or any generated code.
//!
//! Every function here is a line-by-line scalar transcription of a kernel of `vmath` (which
//! takes its constants and tables from here, so there is one copy of each):
//! the same constants and tables, the same operations in the same order, a
//! fused multiply-add ([`f64::mul_add`], correctly rounded) exactly where the kernel emits
//! `fma`, the same bit tricks (the 1.5·2⁵² rounding, exponents built in the bits, integer
//! arithmetic on the bit patterns, wrapping like Cranelift's `I64X2` lanes), the same special
//! values, and the same calls to the Rust/libm routines in exactly the cases where the
//! kernel's cold fallback replaces a lane (`sin`, `cos`, `tan` beyond 2²⁷; `pow`'s special
//! lanes). A compare mask followed by `bitselect` becomes an `if`; `fmin`/`fmax` are not used
//! by the kernels (their clamps are compare + select, which keeps a NaN), and neither are
//! here. So for every argument the result is bit-identical to what the JIT computes (NaN
//! payloads aside: any NaN the kernel produces by arithmetic is a NaN here too). `tests/it/refmath.rs`
//! checks that through the public API (the JIT against the interpreter, which calls this module).
//!
//! This module is the oracle for those kernels: the reference interpreter and constant
//! folding can compute `exp`, `log`, ..., `**` without depending on the code under test.

// fdlibm's constants are kept as published (more digits than a double holds).
#![allow(clippy::excessive_precision)]

/// 1.5·2⁵²: adding it to |y| < 2⁵¹ rounds y to an integer n, held in the low mantissa bits.
pub(crate) const MAGIC: f64 = 6755399441055744.0;

/// exp: Q(r) ≈ (eʳ − 1 − r)/r² on [−ln2/2, ln2/2], minimax (abs. error 1.4e-18).
pub(crate) const EXP_Q: [f64; 11] = [
    0.5,
    0.1666666666666667,
    0.04166666666666649,
    0.008333333333326358,
    0.0013888888889004032,
    0.0001984126987415007,
    2.4801587044218333e-05,
    2.755725614865376e-06,
    2.7557541990250846e-07,
    2.5104938642572735e-08,
    2.082514907578589e-09,
];
/// The even- and odd-indexed coefficients of [`EXP_Q`] (the kernel's two Horner chains).
const EXP_Q_EVEN: [f64; 6] = [EXP_Q[0], EXP_Q[2], EXP_Q[4], EXP_Q[6], EXP_Q[8], EXP_Q[10]];
const EXP_Q_ODD: [f64; 5] = [EXP_Q[1], EXP_Q[3], EXP_Q[5], EXP_Q[7], EXP_Q[9]];
/// ln 2 in two parts; the high part has 32 trailing zero bits, so k·LN2_HI is exact.
pub(crate) const LN2_HI: f64 = 6.93147180369123816490e-01;
pub(crate) const LN2_LO: f64 = 1.90821492927058770002e-10;

/// log: fdlibm's Lg1..Lg7.
pub(crate) const LG: [f64; 7] = [
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
];

/// log2/log10 constants (fdlibm): heads with 32 trailing zero bits, and tails.
pub(crate) const IVLN2HI: f64 = 1.44269504072144627571e+00;
pub(crate) const IVLN2LO: f64 = 1.67517131648865118353e-10;
pub(crate) const IVLN10HI: f64 = 4.34294481878168880939e-01;
pub(crate) const IVLN10LO: f64 = 2.50829467116452752298e-11;
pub(crate) const LOG10_2HI: f64 = 3.01029995663611771306e-01;
pub(crate) const LOG10_2LO: f64 = 3.69423907715893078616e-13;

/// pow's log table (as in `vmath`): entry i for z = x/2^k with bits in
/// [OFF + i·2⁴⁵, OFF + (i+1)·2⁴⁵), OFF = 0x3fe6a00000000000: `[1/c rounded to 8 bits,
/// −ln(invc) rounded to a multiple of 2⁻⁴³, the rest of −ln(invc), 0]`.
#[rustfmt::skip]
pub(crate) static POW_LOG_TAB: [[f64; 4]; 128] = [
    [1.4140625, -0.3464667673462145, 5.929407345889625e-15, 0.0],
    [1.40625, -0.34092658697056777, -2.544157440035963e-14, 0.0],
    [1.3984375, -0.3353555419211034, -3.443525940775045e-14, 0.0],
    [1.390625, -0.3297532863724655, -2.500123826022799e-15, 0.0],
    [1.3828125, -0.32411946865420305, -8.929337133850617e-15, 0.0],
    [1.375, -0.31845373111855224, 1.7625431312172662e-14, 0.0],
    [1.3671875, -0.31275571000389846, 1.5688303180062087e-15, 0.0],
    [1.359375, -0.3070250352949415, 2.9655274673691784e-14, 0.0],
    [1.3515625, -0.3012613305781997, 3.7923164802093147e-14, 0.0],
    [1.34375, -0.2954642128938758, 3.993416384387844e-14, 0.0],
    [1.3359375, -0.28963329258306203, 1.9352855826489123e-14, 0.0],
    [1.328125, -0.28376817313062475, -1.9852665484979036e-14, 0.0],
    [1.3203125, -0.27786845100342816, -2.814323765595281e-14, 0.0],
    [1.3125, -0.2719337154836694, 2.7643769993528702e-14, 0.0],
    [1.3125, -0.2719337154836694, 2.7643769993528702e-14, 0.0],
    [1.3046875, -0.2659635484970977, -4.025092402293806e-14, 0.0],
    [1.296875, -0.25995752443691345, -1.2621729398885316e-14, 0.0],
    [1.2890625, -0.25391520998095984, -3.600176732637335e-15, 0.0],
    [1.28125, -0.2478361639045943, 1.3029797173308663e-14, 0.0],
    [1.2734375, -0.2417199368871934, 4.8230289429940886e-14, 0.0],
    [1.2734375, -0.2417199368871934, 4.8230289429940886e-14, 0.0],
    [1.265625, -0.23556607131274632, -2.0592242769647135e-14, 0.0],
    [1.2578125, -0.22937410106487732, 3.149265065191484e-14, 0.0],
    [1.25, -0.22314355131425145, 4.169796584527195e-14, 0.0],
    [1.2421875, -0.21687393830063684, 2.2477465222466186e-14, 0.0],
    [1.2421875, -0.21687393830063684, 2.2477465222466186e-14, 0.0],
    [1.234375, -0.21056476910735, 3.6507188831790577e-16, 0.0],
    [1.2265625, -0.2042155414286526, -3.827767260205414e-14, 0.0],
    [1.21875, -0.19782574332987224, -4.7641388950792196e-14, 0.0],
    [1.21875, -0.19782574332987224, -4.7641388950792196e-14, 0.0],
    [1.2109375, -0.19139485299967873, 4.9278276214647115e-14, 0.0],
    [1.203125, -0.18492233849406148, 4.9485167661250996e-14, 0.0],
    [1.1953125, -0.1784076574728033, -1.5003333854266542e-14, 0.0],
    [1.1953125, -0.1784076574728033, -1.5003333854266542e-14, 0.0],
    [1.1875, -0.17185025692663203, -2.7194441649495324e-14, 0.0],
    [1.1796875, -0.1652495728952772, -2.99659267292569e-14, 0.0],
    [1.1796875, -0.1652495728952772, -2.99659267292569e-14, 0.0],
    [1.171875, -0.15860503017665906, 2.0472357800461955e-14, 0.0],
    [1.1640625, -0.15191604202584585, 3.879296723063646e-15, 0.0],
    [1.1640625, -0.15191604202584585, 3.879296723063646e-15, 0.0],
    [1.15625, -0.1451820098444614, -3.6506824353335045e-14, 0.0],
    [1.1484375, -0.13840232285906495, -5.4183331379008994e-14, 0.0],
    [1.1484375, -0.13840232285906495, -5.4183331379008994e-14, 0.0],
    [1.140625, -0.131576357788731, 1.1729485484531301e-14, 0.0],
    [1.1328125, -0.12470347850091912, -3.811763084710266e-14, 0.0],
    [1.1328125, -0.12470347850091912, -3.811763084710266e-14, 0.0],
    [1.125, -0.11778303565643, 4.654729747598445e-14, 0.0],
    [1.1171875, -0.11081436634026431, -2.5799991283069902e-14, 0.0],
    [1.1171875, -0.11081436634026431, -2.5799991283069902e-14, 0.0],
    [1.109375, -0.10379679368168127, 3.7700471749674615e-14, 0.0],
    [1.109375, -0.10379679368168127, 3.7700471749674615e-14, 0.0],
    [1.1015625, -0.09672962645856842, 1.7306161136093256e-14, 0.0],
    [1.09375, -0.089612158689647, -4.012913552726574e-14, 0.0],
    [1.09375, -0.089612158689647, -4.012913552726574e-14, 0.0],
    [1.0859375, -0.08244366921110213, 2.7541708360737882e-14, 0.0],
    [1.0859375, -0.08244366921110213, 2.7541708360737882e-14, 0.0],
    [1.078125, -0.07522342123763792, 5.0396178134370583e-14, 0.0],
    [1.0703125, -0.06795066190852594, 1.8195060030168815e-14, 0.0],
    [1.0703125, -0.06795066190852594, 1.8195060030168815e-14, 0.0],
    [1.0625, -0.06062462181648698, 5.213620639136504e-14, 0.0],
    [1.0625, -0.06062462181648698, 5.213620639136504e-14, 0.0],
    [1.0546875, -0.053244514518837605, 2.532168943117445e-14, 0.0],
    [1.0546875, -0.053244514518837605, 2.532168943117445e-14, 0.0],
    [1.046875, -0.045809536031242715, -5.148849572685811e-14, 0.0],
    [1.0390625, -0.038318864302141264, 4.6652946995830086e-15, 0.0],
    [1.0390625, -0.038318864302141264, 4.6652946995830086e-15, 0.0],
    [1.03125, -0.03077165866670839, -4.529814257790929e-14, 0.0],
    [1.03125, -0.03077165866670839, -4.529814257790929e-14, 0.0],
    [1.0234375, -0.023167059281490765, -4.361324067851568e-14, 0.0],
    [1.0234375, -0.023167059281490765, -4.361324067851568e-14, 0.0],
    [1.015625, -0.015504186535963527, -1.7274567499706107e-15, 0.0],
    [1.015625, -0.015504186535963527, -1.7274567499706107e-15, 0.0],
    [1.0078125, -0.0077821404420319595, -2.298941004620351e-14, 0.0],
    [1.0078125, -0.0077821404420319595, -2.298941004620351e-14, 0.0],
    [1.0, 0.0, 0.0, 0.0],
    [1.0, 0.0, 0.0, 0.0],
    [0.98828125, 0.01178795575208369, -4.1449261919523146e-14, 0.0],
    [0.98046875, 0.019724505347767263, 1.1326399700142234e-14, 0.0],
    [0.97265625, 0.02772454801481672, 3.8141534432648766e-14, 0.0],
    [0.96484375, 0.03578910785154221, 4.3066973476878145e-14, 0.0],
    [0.95703125, 0.04391923393484376, -8.269399178187412e-15, 0.0],
    [0.953125, 0.048009219186383234, -2.262629393030674e-14, 0.0],
    [0.9453125, 0.056239718322899535, -2.345674491018699e-14, 0.0],
    [0.9375, 0.0645385211375924, -2.1225608044809997e-14, 0.0],
    [0.9296875, 0.07290677080811747, -2.9690894981172655e-14, 0.0],
    [0.92578125, 0.07711730334438016, 5.1128335719851986e-14, 0.0],
    [0.91796875, 0.08559193033545398, -5.046674438470119e-14, 0.0],
    [0.91015625, 0.09413899091384792, 1.3990307490818967e-14, 0.0],
    [0.90625, 0.09844007281321865, 3.3871241029241416e-14, 0.0],
    [0.8984375, 0.10709813555638448, -1.7376727386423858e-14, 0.0],
    [0.890625, 0.11583181552509814, 2.3568822182038756e-14, 0.0],
    [0.88671875, 0.12022742699821265, -5.2849453521890294e-14, 0.0],
    [0.87890625, 0.1290770422751848, -4.2451216089619995e-14, 0.0],
    [0.875, 0.13353139262449076, 3.1859736349078334e-14, 0.0],
    [0.8671875, 0.14250006260726877, 1.4256439478199035e-14, 0.0],
    [0.86328125, 0.14701474296180095, 8.710783796122478e-15, 0.0],
    [0.85546875, 0.15610571466311285, -5.119408840555065e-14, 0.0],
    [0.8515625, 0.16068238169043525, 3.821577743916796e-14, 0.0],
    [0.84375, 0.16989903679541385, -1.6376276414097503e-14, 0.0],
    [0.83984375, 0.17453941635187675, 2.2924522154618074e-14, 0.0],
    [0.83203125, 0.18388527877016259, -2.5223102140407338e-14, 0.0],
    [0.828125, 0.18859116980752333, 2.6693431578015818e-14, 0.0],
    [0.82421875, 0.1933193110035063, -1.0320443688698849e-14, 0.0],
    [0.81640625, 0.20284319251470606, 4.541021984976105e-14, 0.0],
    [0.8125, 0.20763936477828793, -4.3425422595242564e-14, 0.0],
    [0.80859375, 0.21245865121420593, -1.2527395755711364e-14, 0.0],
    [0.80078125, 0.22216746534115828, -3.979844515951702e-15, 0.0],
    [0.796875, 0.22705745063535687, -1.078736749871691e-14, 0.0],
    [0.79296875, 0.2319714654378231, -4.7955860343296286e-14, 0.0],
    [0.7890625, 0.2369097470783572, 5.015686013791602e-16, 0.0],
    [0.78125, 0.2468600779315011, 2.4688324156011588e-14, 0.0],
    [0.77734375, 0.25187261975509045, -2.037449094215686e-14, 0.0],
    [0.7734375, 0.2569104137850218, 5.465121253624792e-15, 0.0],
    [0.76953125, 0.26197371574153294, 4.102651071698446e-14, 0.0],
    [0.765625, 0.2670627852490952, -4.996736502345936e-14, 0.0],
    [0.7578125, 0.27731928541618345, 5.089628039500759e-14, 0.0],
    [0.75390625, 0.28248725557466514, 1.1782016386565151e-14, 0.0],
    [0.75, 0.28768207245173016, 5.076326383153408e-14, 0.0],
    [0.74609375, 0.29290401643288533, 4.727452940514406e-14, 0.0],
    [0.7421875, 0.29815337231912054, -4.4204083338755686e-14, 0.0],
    [0.73828125, 0.3034304294199046, 1.548345993498083e-14, 0.0],
    [0.734375, 0.30873548164959175, 2.1522127491642888e-14, 0.0],
    [0.73046875, 0.3140688276249648, 1.1054030169005386e-14, 0.0],
    [0.7265625, 0.31943077076641657, -5.534326352070679e-14, 0.0],
    [0.72265625, 0.3248216194012912, -5.351646604259541e-14, 0.0],
    [0.71875, 0.33024168687052224, 5.4612144489920215e-14, 0.0],
    [0.71484375, 0.3356912916381134, 2.8136969901227338e-14, 0.0],
    [0.7109375, 0.3411707574027787, -1.156568624616423e-14, 0.0],
];
/// ln 2 rounded to a multiple of 2⁻⁴³, and the rest.
pub(crate) const POW_LN2_HI: f64 = 0.6931471805598903;
pub(crate) const POW_LN2_LO: f64 = 5.497923018708371e-14;

/// pow's exp table (as in `vmath`): `[bits(2^(i/128) rounded) − (i << 45), bits(the
/// rounding error relative to it)]`.
#[rustfmt::skip]
pub(crate) static POW_EXP_TAB: [[u64; 2]; 128] = [
    [0x3ff0000000000000, 0x0000000000000000],
    [0x3feff63da9fb3335, 0x3c9b3b4f1a88bf6e],
    [0x3fefec9a3e778061, 0xbc7160139cd8dc5d],
    [0x3fefe315e86e7f85, 0xbc905e7a108766d1],
    [0x3fefd9b0d3158574, 0x3c8cd2523567f613],
    [0x3fefd06b29ddf6de, 0xbc8bce8023f98efa],
    [0x3fefc74518759bc8, 0x3c60f74e61e6c861],
    [0x3fefbe3ecac6f383, 0x3c90a3e45b33d399],
    [0x3fefb5586cf9890f, 0x3c979aa65d837b6d],
    [0x3fefac922b7247f7, 0x3c8eb51a92fdeffc],
    [0x3fefa3ec32d3d1a2, 0x3c3ebe3d702f9cd1],
    [0x3fef9b66affed31b, 0xbc6a033489906e0b],
    [0x3fef9301d0125b51, 0xbc9556522a2fbd0e],
    [0x3fef8abdc06c31cc, 0xbc5080ef8c4eea55],
    [0x3fef829aaea92de0, 0xbc91c923b9d5f416],
    [0x3fef7a98c8a58e51, 0x3c80d3e3e95c55af],
    [0x3fef72b83c7d517b, 0xbc801b15eaa59348],
    [0x3fef6af9388c8dea, 0xbc8f1ff055de323d],
    [0x3fef635beb6fcb75, 0x3c8b898c3f1353bf],
    [0x3fef5be084045cd4, 0xbc96d99c7611eb26],
    [0x3fef54873168b9aa, 0x3c9aecf73e3a2f60],
    [0x3fef4d5022fcd91d, 0xbc8fe782cb86389d],
    [0x3fef463b88628cd6, 0x3c8a6f4144a6c38d],
    [0x3fef3f49917ddc96, 0x3c807a05b0e4047d],
    [0x3fef387a6e756238, 0x3c968efde3a8a894],
    [0x3fef31ce4fb2a63f, 0x3c875e18f274487d],
    [0x3fef2b4565e27cdd, 0x3c80472b981fe7f2],
    [0x3fef24dfe1f56381, 0xbc96b87b3f71085e],
    [0x3fef1e9df51fdee1, 0x3c82f7e16d09ab31],
    [0x3fef187fd0dad990, 0xbc3d219b1a6fbffa],
    [0x3fef1285a6e4030b, 0x3c8b3782720c0ab4],
    [0x3fef0cafa93e2f56, 0x3c6e149289cecb8f],
    [0x3fef06fe0a31b715, 0x3c834d754db0abb6],
    [0x3fef0170fc4cd831, 0x3c864201e2ac744c],
    [0x3feefc08b26416ff, 0x3c8fdd395dd3f84a],
    [0x3feef6c55f929ff1, 0xbc86a3803b8e5b04],
    [0x3feef1a7373aa9cb, 0xbc924aedcc4b5068],
    [0x3feeecae6d05d866, 0xbc9907f81b512d8e],
    [0x3feee7db34e59ff7, 0xbc71d1e83e9436d2],
    [0x3feee32dc313a8e5, 0xbc991919b3ce1b15],
    [0x3feedea64c123422, 0x3c859f48a72a4c6d],
    [0x3feeda4504ac801c, 0xbc9312607a28698a],
    [0x3feed60a21f72e2a, 0xbc58a78f4817895b],
    [0x3feed1f5d950a897, 0xbc7c2c9b67499a1b],
    [0x3feece086061892d, 0x3c4363ed60c2ac11],
    [0x3feeca41ed1d0057, 0x3c9666093b0664ef],
    [0x3feec6a2b5c13cd0, 0x3c6ecce1daa10379],
    [0x3feec32af0d7d3de, 0x3c93ff8e3f0f1230],
    [0x3feebfdad5362a27, 0x3c7690cebb7aafb0],
    [0x3feebcb299fddd0d, 0x3c931dbdeb54e077],
    [0x3feeb9b2769d2ca7, 0xbc8f94340071a38e],
    [0x3feeb6daa2cf6642, 0xbc87deccdc93a349],
    [0x3feeb42b569d4f82, 0xbc78dec6bd0f385f],
    [0x3feeb1a4ca5d920f, 0xbc861246ec7b5cf6],
    [0x3feeaf4736b527da, 0x3c93350518fdd78e],
    [0x3feead12d497c7fd, 0x3c7b98b72f8a9b05],
    [0x3feeab07dd485429, 0x3c9063e1e21c5409],
    [0x3feea9268a5946b7, 0x3c34c7855019c6ea],
    [0x3feea76f15ad2148, 0x3c9432e62b64c035],
    [0x3feea5e1b976dc09, 0xbc8ce44a6199769f],
    [0x3feea47eb03a5585, 0xbc8c33c53bef4da8],
    [0x3feea34634ccc320, 0xbc845378892be9ae],
    [0x3feea23882552225, 0xbc93cedd78565858],
    [0x3feea155d44ca973, 0x3c5710aa807e1964],
    [0x3feea09e667f3bcd, 0xbc93b3efbf5e2228],
    [0x3feea012750bdabf, 0xbc6a12ad8734b982],
    [0x3fee9fb23c651a2f, 0xbc6367efb86da9ee],
    [0x3fee9f7df9519484, 0xbc80dc3d54e08851],
    [0x3fee9f75e8ec5f74, 0xbc781f647e5a3ecf],
    [0x3fee9f9a48a58174, 0xbc86ee4ac08b7db0],
    [0x3fee9feb564267c9, 0xbc8619321e55e68a],
    [0x3feea0694fde5d3f, 0x3c909ccb5e09d4d3],
    [0x3feea11473eb0187, 0xbc7b32dcb94da51d],
    [0x3feea1ed0130c132, 0x3c94ecfd5467c06b],
    [0x3feea2f336cf4e62, 0x3c65ebe1abd66c55],
    [0x3feea427543e1a12, 0xbc88a1c52fb3cf42],
    [0x3feea589994cce13, 0xbc9369b6f13b3734],
    [0x3feea71a4623c7ad, 0xbc805e843a19ff1e],
    [0x3feea8d99b4492ed, 0xbc94d450d872576e],
    [0x3feeaac7d98a6699, 0x3c90ad675b0e8a00],
    [0x3feeace5422aa0db, 0x3c8db72fc1f0eab4],
    [0x3feeaf3216b5448c, 0xbc65b6609cc5e7ff],
    [0x3feeb1ae99157736, 0x3c7bf68359f35f44],
    [0x3feeb45b0b91ffc6, 0xbc93091fa71e3d83],
    [0x3feeb737b0cdc5e5, 0xbc5da9b88b6c1e29],
    [0x3feeba44cbc8520f, 0xbc6c23f97c90b959],
    [0x3feebd829fde4e50, 0xbc92434322f4f9aa],
    [0x3feec0f170ca07ba, 0xbc85ca6cd7668e4b],
    [0x3feec49182a3f090, 0x3c71affc2b91ce27],
    [0x3feec86319e32323, 0x3c6dd235e10a73bb],
    [0x3feecc667b5de565, 0xbc87c50422622263],
    [0x3feed09bec4a2d33, 0x3c8b1c86e3e231d5],
    [0x3feed503b23e255d, 0xbc91bbd1d3bcbb15],
    [0x3feed99e1330b358, 0x3c90cc319cee31d2],
    [0x3feede6b5579fdbf, 0x3c8469846e735ab3],
    [0x3feee36bbfd3f37a, 0xbc82dfcd978e9db4],
    [0x3feee89f995ad3ad, 0x3c8c1a7792cb3387],
    [0x3feeee07298db666, 0xbc907b8f4ad1d9fa],
    [0x3feef3a2b84f15fb, 0xbc55c3d956dcaeba],
    [0x3feef9728de5593a, 0xbc90a40e3da6f640],
    [0x3feeff76f2fb5e47, 0xbc68d6f438ad9334],
    [0x3fef05b030a1064a, 0xbc91eee26b588a35],
    [0x3fef0c1e904bc1d2, 0x3c74ffd70a5fddcd],
    [0x3fef12c25bd71e09, 0xbc91bdfbfa9298ac],
    [0x3fef199bdd85529c, 0x3c736eae30af0cb3],
    [0x3fef20ab5fffd07a, 0x3c8ee3325c9ffd94],
    [0x3fef27f12e57d14b, 0x3c84e08fd10959ac],
    [0x3fef2f6d9406e7b5, 0x3c63cdaf384e1a67],
    [0x3fef3720dcef9069, 0x3c676b2c6c921968],
    [0x3fef3f0b555dc3fa, 0xbc808a1883ccb5d2],
    [0x3fef472d4a07897c, 0xbc8fad5d3ffffa6f],
    [0x3fef4f87080d89f2, 0xbc900dae3875a949],
    [0x3fef5818dcfba487, 0x3c74a385a63d07a7],
    [0x3fef60e316c98398, 0xbc82919e2040220f],
    [0x3fef69e603db3285, 0x3c8e5a50d5c192ac],
    [0x3fef7321f301b460, 0x3c843a59ac016b4b],
    [0x3fef7c97337b9b5f, 0xbc82d52107b43e1f],
    [0x3fef864614f5a129, 0xbc892ab93b470dc9],
    [0x3fef902ee78b3ff6, 0x3c74b604603a88d3],
    [0x3fef9a51fbc74c83, 0x3c83c5ec519d7271],
    [0x3fefa4afa2a490da, 0xbc8ff7128fd391f0],
    [0x3fefaf482d8e67f1, 0xbc8dae98e223747d],
    [0x3fefba1bee615a27, 0x3c8ec3bc41aa2008],
    [0x3fefc52b376bba97, 0x3c842b94c3a9eb32],
    [0x3fefd0765b6e4540, 0x3c8a64a931d185ee],
    [0x3fefdbfdad9cbe14, 0xbc8e37bae43be3ed],
    [0x3fefe7c1819e90d8, 0x3c77893b4d91cd9d],
    [0x3feff3c22b8f71f1, 0x3c5305c14160cc89],
];
/// ln2/128 rounded to a multiple of 2⁻⁴² (35 bits: n·hi exact for |n| < 2¹⁸), and the rest.
pub(crate) const POW_LN2N_HI: f64 = 0.0054152123482253955;
pub(crate) const POW_LN2N_LO: f64 = -1.0082281460997769e-13;

/// arctan: fdlibm's aT, atan(t) ≈ t − t·Σ `AT[i]`·t^(2i+2) for |t| < 7/16, and π/4, π/2 in
/// two parts.
pub(crate) const AT: [f64; 11] = [
    3.33333333333329318027e-01,
    -1.99999999998764832476e-01,
    1.42857142725034663711e-01,
    -1.11111104054623557880e-01,
    9.09088713343650656196e-02,
    -7.69187620504482999495e-02,
    6.66107313738753120669e-02,
    -5.83357013379057348645e-02,
    4.97687799461593236017e-02,
    -3.65315727442169155270e-02,
    1.62858201153657823623e-02,
];
pub(crate) const ATANHI_PIO4: f64 = std::f64::consts::FRAC_PI_4;
pub(crate) const ATANLO_PIO4: f64 = 3.06161699786838301793e-17;
pub(crate) const ATANHI_PIO2: f64 = std::f64::consts::FRAC_PI_2;
pub(crate) const ATANLO_PIO2: f64 = 6.12323399573676603587e-17;
pub(crate) const PI_HI: f64 = std::f64::consts::PI;
pub(crate) const PI_LO: f64 = 1.2246467991473532e-16;
pub(crate) const PI3O4_HI: f64 = 2.356194490192345;
pub(crate) const PI3O4_LO: f64 = 9.184850993605148e-17;

/// sin: S(z) with sin r ≈ r + r³·S(r²) on |r| ≤ π/2; `S[0]` is −1/6 rounded and the rest a
/// minimax fit given it (relative error of the rounded polynomial < 0.07 ulp).
pub(crate) const SIN_S: [f64; 8] = [
    -0.16666666666666666,
    0.008333333333333207,
    -0.00019841269841212902,
    2.7557319211659306e-06,
    -2.5052106913823317e-08,
    1.6058941520768395e-10,
    -7.643033830611232e-13,
    2.7215802619794365e-15,
];
/// cos: fdlibm's C1..C6, cos r ≈ 1 − r²/2 + r⁴·C(r²) for |r| ≤ π/4.
pub(crate) const KC: [f64; 6] = [
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
];

/// π/2 = PIO2_1 + PIO2_2 + PIO2_3 + O(2⁻¹⁶⁰): PIO2_1 nearest, PIO2_2 rounded down so that all
/// three parts are positive (then `x − m·PIO2_i` keeps the sign of a zero `x`).
pub(crate) const PIO2_1: f64 = std::f64::consts::FRAC_PI_2;
pub(crate) const PIO2_2: f64 = 6.123233995736765e-17;
pub(crate) const PIO2_3: f64 = 1.082856673921914e-32;
/// sin/cos lanes with |x| above this call libm (the fast reduction is accurate well beyond).
pub(crate) const TRIG_MAX: f64 = 134217728.0; // 2^27

// ---- the kernels' building blocks, one lane ----

/// Cranelift's `fma`: one rounding.
#[inline(always)]
fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// `c[0] + x·(c[1] + x·(...))` by Horner's rule, one fma per step.
#[inline(always)]
fn horner(x: f64, c: &[f64]) -> f64 {
    let (&last, rest) = c.split_last().expect("a polynomial has coefficients");
    let mut acc = last;
    for &k in rest.iter().rev() {
        acc = fma(acc, x, k);
    }
    acc
}

/// `max(x, lo)` as the kernels compute it (compare + select: a NaN `x` stays NaN).
fn clamp_lo(x: f64, lo: f64) -> f64 {
    if x < lo {
        lo
    } else {
        x
    }
}

/// `min(x, hi)` as the kernels compute it (compare + select: a NaN `x` stays NaN).
fn clamp_hi(x: f64, hi: f64) -> f64 {
    if hi < x {
        hi
    } else {
        x
    }
}

/// `x` with the sign bit of `s` or-ed in.
#[inline(always)]
fn or_sign(x: f64, s: f64) -> f64 {
    f64::from_bits(x.to_bits() | (s.to_bits() & (1 << 63)))
}

/// `round(y)` for |y| < 2⁵¹ as (float value, raw bits whose low bits hold the integer).
#[inline(always)]
fn round_int(y: f64) -> (f64, u64) {
    let t = y + MAGIC;
    (t - MAGIC, t.to_bits())
}

/// `2^k` for an integer-valued `k` with −1022 ≤ k ≤ 1023, built in the exponent bits.
#[inline(always)]
fn pow2i(k: f64) -> f64 {
    let t = k + (MAGIC + 1023.0);
    f64::from_bits(t.to_bits() << 52)
}

/// Cranelift's `nearest` (round half to even) compared with `v`: true where `v` is an
/// integer (±inf included, NaN not).
fn is_int(v: f64) -> bool {
    v.round_ties_even() == v
}

// ---- exp family ----

/// `eʳ` for |r| ≤ ln2/2 (+ a little), as `1 + (r + r²·Q(r))`.
fn exp_poly(r: f64) -> f64 {
    let z = r * r;
    let e = horner(z, &EXP_Q_EVEN);
    let o = horner(z, &EXP_Q_ODD);
    let q = fma(o, r, e);
    let p = fma(z, q, r);
    p + 1.0
}

/// Splits `x` (|x| ≤ 746) as `k·ln2 + r`: returns (k, r).
fn exp_reduce(x: f64) -> (f64, f64) {
    let t = fma(x, std::f64::consts::LOG2_E, MAGIC);
    let k = t - MAGIC;
    let nk = -k;
    let r = fma(nk, LN2_HI, x);
    let r = fma(nk, LN2_LO, r);
    (k, r)
}

/// `p·2^k` for integer-valued |k| ≤ 2044, in two exact power-of-two steps.
fn scale(p: f64, k: f64) -> f64 {
    let bias = MAGIC + 1023.0;
    let t1 = fma(k, 0.5, bias);
    let k1 = t1 - bias;
    let k2 = k - k1;
    let s1 = f64::from_bits(t1.to_bits() << 52);
    let s2 = pow2i(k2);
    p * s1 * s2
}

/// `eˣ`.
pub fn exp(x: f64) -> f64 {
    let x = clamp_lo(x, -746.0);
    let x = clamp_hi(x, 710.0);
    let (k, r) = exp_reduce(x);
    let p = exp_poly(r);
    scale(p, k)
}

/// `eˣ = 2^k·(1 + ph + pl)` for −60 ≤ x ≤ 711: returns (k, ph, pl).
fn exp_core(x: f64) -> (f64, f64, f64) {
    let t = fma(x, std::f64::consts::LOG2_E, MAGIC);
    let k = t - MAGIC;
    let nk = -k;
    let r1 = fma(nk, LN2_HI, x);
    let r = fma(nk, LN2_LO, r1);
    let d = r1 - r;
    let rl = fma(nk, LN2_LO, d);
    let z = r * r;
    let e = horner(z, &EXP_Q_EVEN);
    let o = horner(z, &EXP_Q_ODD);
    let q = fma(o, r, e);
    let ph = fma(z, q, r);
    let d = r - ph;
    let pl = fma(z, q, d);
    let pl = pl + rl;
    let pl = fma(rl, ph, pl);
    (k, ph, pl)
}

/// `2^k·(1 + ph + pl) − 1` for −60 ≤ k ≤ 1024.
fn expm1_from(k: f64, ph: f64, pl: f64) -> f64 {
    let kc = clamp_hi(k, 1023.0);
    let s = pow2i(kc);
    let sm1 = s - 1.0;
    let y = fma(s, ph, sm1);
    let y = fma(s, pl, y);
    let s2 = pow2i(k - kc);
    y * s2
}

/// `eˣ − 1`.
pub fn expm1(x: f64) -> f64 {
    let xc = clamp_lo(x, -40.0);
    let xc = clamp_hi(xc, 710.0);
    let (k, ph, pl) = exp_core(xc);
    let y = expm1_from(k, ph, pl);
    if x == 0.0 {
        x
    } else {
        y
    }
}

/// `tanh x`.
pub fn tanh(x: f64) -> f64 {
    let a = clamp_hi(x.abs(), 22.0);
    let small = a < 1.0;
    let (k, ph, pl) = exp_core(a + a);
    let kc = clamp_hi(k, 1023.0);
    let s = pow2i(kc);
    let sm1 = s - 1.0;
    let sph = s * ph;
    let th = sm1 + sph;
    let d = th - sm1;
    let e = sph - d;
    let tl = fma(s, pl, e);
    let den = th + 2.0;
    let q = th / den;
    let nq = -q;
    let rem = fma(nq, den, th);
    let bp = den - th;
    let ap = den - bp;
    let da = th - ap;
    let db = 2.0 - bp;
    let dl = da + db;
    let dl = dl + tl;
    let corr = rem + tl;
    let corr = fma(nq, dl, corr);
    let corr = corr / den;
    let qs = q + corr;
    let t = th + tl;
    let den2 = t + 2.0;
    let q2 = 2.0 / den2;
    let big = 1.0 - q2;
    let y = if small { qs } else { big };
    or_sign(y.abs(), x)
}

/// sinh and cosh from one `exp_core(|x|)`.
fn sinh_cosh(x: f64, cosh: bool) -> f64 {
    let a = clamp_hi(x.abs(), 711.0);
    let (k, ph, pl) = exp_core(a);
    let p = ph + pl;
    let p = 1.0 + p;
    let h = scale(p, k - 1.0);
    let q = 0.25 / h;
    if cosh {
        return h + q;
    }
    let big = h - q;
    let t = expm1_from(k, ph, pl);
    let t1 = t + 1.0;
    let tt = t * t;
    let u = tt / t1;
    let smallv = fma(u, -0.5, t);
    let y = if a < 1.0 { smallv } else { big };
    let y = or_sign(y, x);
    if x == 0.0 {
        x
    } else {
        y
    }
}

/// `sinh x`.
pub fn sinh(x: f64) -> f64 {
    sinh_cosh(x, false)
}

/// `cosh x`.
pub fn cosh(x: f64) -> f64 {
    sinh_cosh(x, true)
}

// ---- logarithms ----

/// fdlibm's pieces of `log(1 + f)` for `x = 2^e·(1 + f)`.
struct LogParts {
    e: f64,
    f: f64,
    hfsq: f64,
    s: f64,
    r: f64,
}

/// `x = 2^e·m` with `m ∈ [√2/2, √2)` for a positive finite `x` (subnormals too), by integer
/// arithmetic on the bits (wrapping, as on `I64X2` lanes): returns (e as a float, m).
fn log_split(x: f64) -> (f64, f64) {
    let tiny = x < f64::MIN_POSITIVE;
    let big = x * 4503599627370496.0;
    let xs = if tiny { big } else { x };
    let b = xs.to_bits();
    let shifted = b.wrapping_add((0x3ff0000000000000i64 - 0x3fe6a09e667f3bcdi64) as u64);
    let eb = shifted >> 52;
    let ebits = eb.wrapping_add(MAGIC.to_bits());
    let e = f64::from_bits(ebits) - (MAGIC + 1023.0);
    let adj = if tiny { 52.0 } else { 0.0 };
    let e = e - adj;
    let mb = b.wrapping_sub(eb << 52).wrapping_add(0x3ff0000000000000);
    (e, f64::from_bits(mb))
}

fn log_parts(x: f64) -> LogParts {
    let (e, m) = log_split(x);
    let f = m - 1.0;
    let half_f = f * 0.5;
    let hfsq = half_f * f;
    let den = 2.0 + f;
    let s = f / den;
    let z = s * s;
    let w = z * z;
    let t1 = horner(w, &[LG[1], LG[3], LG[5]]);
    let t1 = w * t1;
    let t2 = horner(w, &[LG[0], LG[2], LG[4], LG[6]]);
    let t2 = z * t2;
    let r = t2 + t1;
    LogParts { e, f, hfsq, s, r }
}

/// `log(x)` from its parts, plus `c` added to the low part.
fn log_from(p: &LogParts, c: Option<f64>) -> f64 {
    let lo = p.e * LN2_LO;
    let lo = match c {
        Some(c) => lo + c,
        None => lo,
    };
    let hr = p.hfsq + p.r;
    let u = fma(p.s, hr, lo);
    let v = p.hfsq - u;
    let v = v - p.f;
    let hi = p.e * LN2_HI;
    hi - v
}

/// The special values of a logarithm with its zero at `zero_at`.
fn log_specials(x: f64, zero_at: f64, y: f64) -> f64 {
    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == zero_at { f64::NEG_INFINITY } else { y };
    // Cranelift's UnorderedOrLessThan.
    if x.is_nan() || x < zero_at {
        f64::NAN
    } else {
        y
    }
}

/// `ln x`.
pub fn log(x: f64) -> f64 {
    let p = log_parts(x);
    let y = log_from(&p, None);
    log_specials(x, 0.0, y)
}

/// log2 and log10 (fdlibm's e_log2/e_log10).
fn log_base(x: f64, ten: bool) -> f64 {
    let p = log_parts(x);
    let hi = p.f - p.hfsq;
    let hi = f64::from_bits(hi.to_bits() & 0xffff_ffff_0000_0000);
    let lo = p.f - hi;
    let lo = lo - p.hfsq;
    let hr = p.hfsq + p.r;
    let lo = fma(p.s, hr, lo);
    let lohi = lo + hi;
    let (val_hi, y, val_lo) = if ten {
        let val_hi = hi * IVLN10HI;
        let y = p.e * LOG10_2HI;
        let a = p.e * LOG10_2LO;
        let a = fma(lohi, IVLN10LO, a);
        let a = fma(lo, IVLN10HI, a);
        (val_hi, y, a)
    } else {
        let val_hi = hi * IVLN2HI;
        let a = lohi * IVLN2LO;
        let a = fma(lo, IVLN2HI, a);
        (val_hi, p.e, a)
    };
    let w = y + val_hi;
    let d = y - w;
    let d = d + val_hi;
    let val_lo = val_lo + d;
    let r = val_lo + w;
    log_specials(x, 0.0, r)
}

/// `log₂ x`.
pub fn log2(x: f64) -> f64 {
    log_base(x, false)
}

/// `log₁₀ x`.
pub fn log10(x: f64) -> f64 {
    log_base(x, true)
}

/// `ln(1 + x)`.
pub fn log1p(x: f64) -> f64 {
    let u = 1.0 + x;
    let bp = u - 1.0;
    let ap = u - bp;
    let da = 1.0 - ap;
    let db = x - bp;
    let c = da + db;
    let cu = c / u;
    let p = log_parts(u);
    let y = log_from(&p, Some(cu));
    let y = if x == 0.0 { x } else { y };
    log_specials(x, -1.0, y)
}

// ---- trigonometry ----

/// `zs` with `sin r ≈ r + r·zs`.
#[inline(always)]
fn sin_tail(r: f64) -> f64 {
    let z = r * r;
    let nr = -r;
    let nzl = fma(nr, r, z);
    let s = horner(z, &SIN_S);
    let corr = nzl * -SIN_S[0];
    fma(z, s, corr)
}

/// `sin r` for |r| ≤ π/2 (+ a little).
#[inline(always)]
fn sin_poly(r: f64) -> f64 {
    let zs = sin_tail(r);
    fma(r, zs, r)
}

/// sin or cos of `x`, accurate for |x| ≤ TRIG_MAX.
#[inline(always)]
fn sin_cos_fast(x: f64, cos: bool) -> f64 {
    let inv_pi = std::f64::consts::FRAC_1_PI;
    let (n, nbits) = if cos {
        let y = fma(x, inv_pi, -0.5);
        round_int(y)
    } else {
        let t = fma(x, inv_pi, MAGIC);
        (t - MAGIC, t.to_bits())
    };
    let r = if cos {
        let m = fma(n, 2.0, 1.0);
        let r = fma(m, PIO2_1, -x);
        let r = fma(m, PIO2_2, r);
        fma(m, PIO2_3, r)
    } else {
        let m = n + n;
        let nm = -m;
        let r = fma(nm, PIO2_1, x);
        let r = fma(nm, PIO2_2, r);
        fma(nm, PIO2_3, r)
    };
    let s = sin_poly(r);
    f64::from_bits(s.to_bits() ^ (nbits << 63))
}

fn sin_cos(x: f64, cos: bool) -> f64 {
    let y = sin_cos_fast(x, cos);
    if trig_needs_libm(x) {
        if cos {
            x.cos()
        } else {
            x.sin()
        }
    } else {
        y
    }
}

/// Whether `sin`/`cos` of `x` is libm's rather than the fast path's: the kernel branches to
/// its cold fallback on x² > TRIG_MAX², which then calls libm for |x| > TRIG_MAX (the same
/// arguments).
#[inline(always)]
pub(crate) fn trig_needs_libm(x: f64) -> bool {
    // `&`, not `&&`: both sides are pure, and no branch keeps the tile loops vectorisable.
    (x * x > TRIG_MAX * TRIG_MAX) & (x.abs() > TRIG_MAX)
}

/// `sin x` (or `cos x`) by the fast path alone: [`sin`]/[`cos`] wherever
/// [`trig_needs_libm`] is false.
#[inline(always)]
pub(crate) fn sin_fast(x: f64) -> f64 {
    sin_cos_fast(x, false)
}

/// See [`sin_fast`].
#[inline(always)]
pub(crate) fn cos_fast(x: f64) -> f64 {
    sin_cos_fast(x, true)
}

/// `sin x`.
pub fn sin(x: f64) -> f64 {
    sin_cos(x, false)
}

/// `cos x`.
pub fn cos(x: f64) -> f64 {
    sin_cos(x, true)
}

/// `cos r` for |r| ≤ π/4 as `hi + lo` (fdlibm's __kernel_cos).
#[inline(always)]
fn cos_poly2(r: f64) -> (f64, f64) {
    let z = r * r;
    let w = z * z;
    let r1 = horner(z, &[KC[0], KC[1], KC[2]]);
    let r1 = z * r1;
    let r2 = horner(z, &[KC[3], KC[4], KC[5]]);
    let ww = w * w;
    let rr = fma(ww, r2, r1);
    let hz = z * 0.5;
    let big = 1.0 - hz;
    let d = 1.0 - big;
    let d = d - hz;
    let zr = fma(z, rr, d);
    (big, zr)
}

/// tan of `x`, accurate for |x| ≤ TRIG_MAX.
#[inline(always)]
pub(crate) fn tan_fast(x: f64) -> f64 {
    let t = fma(x, std::f64::consts::FRAC_2_PI, MAGIC);
    let q = t - MAGIC;
    let nq = -q;
    let r1 = fma(nq, PIO2_1, x);
    let pr = q * PIO2_2;
    let npr = -pr;
    let pe = fma(q, PIO2_2, npr);
    let r2 = r1 - pr;
    let bp = r2 - r1;
    let ap = r2 - bp;
    let da = r1 - ap;
    let db = npr - bp;
    let e = da + db;
    let e = e - pe;
    let e = fma(nq, PIO2_3, e);
    let rh = r2 + e;
    let d = rh - r2;
    let rl = e - d;
    let zs = sin_tail(rh);
    let z = rh * rh;
    let dc = fma(z, -0.5, 1.0);
    let sl = rh * zs;
    let sl = fma(rl, dc, sl);
    let (ch, cl) = cos_poly2(rh);
    let nrl = -rl;
    let cl = fma(nrl, rh, cl);
    // q odd (the low bit of t's bits): tan x = −cos r / sin r.
    let odd = t.to_bits() & 1 == 1;
    let (nh, nl, dh, dl) = if odd {
        (-ch, -cl, rh, sl)
    } else {
        (rh, sl, ch, cl)
    };
    let num = nh + nl;
    let den = dh + dl;
    let q0 = num / den;
    let nq0 = -q0;
    let rem = fma(nq0, dh, nh);
    let rem2 = fma(nq0, dl, nl);
    let rem = rem + rem2;
    let corr = rem / den;
    let y = q0 + corr;
    if x == 0.0 {
        x
    } else {
        y
    }
}

/// `tan x`.
pub fn tan(x: f64) -> f64 {
    let y = tan_fast(x);
    if tan_needs_libm(x) {
        x.tan()
    } else {
        y
    }
}

/// Whether `tan x` is libm's rather than [`tan_fast`]'s.
#[inline(always)]
pub(crate) fn tan_needs_libm(x: f64) -> bool {
    x.abs() > TRIG_MAX
}

/// `(hi + lo) + atan(t)` for |t| ≤ tan(π/8): fdlibm's polynomial.
#[inline(always)]
fn atan_finish(t: f64, hi: f64, lo: f64) -> f64 {
    let z = t * t;
    let w = z * z;
    let s1 = horner(w, &[AT[0], AT[2], AT[4], AT[6], AT[8], AT[10]]);
    let s1 = z * s1;
    let s2 = horner(w, &[AT[1], AT[3], AT[5], AT[7], AT[9]]);
    let s2 = w * s2;
    let ss = s1 + s2;
    let tl = t * ss;
    let u = tl - lo;
    let u = u - t;
    hi - u
}

/// `arctan x`.
pub fn atan(x: f64) -> f64 {
    let a = x.abs();
    let mid = a > 0.41421356237309503;
    let high = a > 2.414213562373095;
    let am1 = a - 1.0;
    let ap1 = a + 1.0;
    let (num, den, hi, lo) = match (mid, high) {
        (false, _) => (a, 1.0, 0.0, 0.0),
        (true, true) => (-1.0, a, ATANHI_PIO2, ATANLO_PIO2),
        (true, false) => (am1, ap1, ATANHI_PIO4, ATANLO_PIO4),
    };
    let t = num / den;
    let y = atan_finish(t, hi, lo);
    or_sign(y, x)
}

/// `arctan2`: the angle of the point (x, y), i.e. `y.atan2(x)`. The argument order is
/// the one of `vmath::emit2(Func::Arctan2, y, x)` and of NumPy's `arctan2(x1, x2)`: the
/// first argument is the ordinate y, the second the abscissa x.
#[inline(always)]
pub fn atan2(y: f64, x: f64) -> f64 {
    let a = y.abs();
    let b = x.abs();
    // `|`, not `||`: no branch, so the wide tile routine vectorises.
    let huge = (a > 2f64.powi(1020)) | (b > 2f64.powi(1020));
    let k = if huge { 2f64.powi(-8) } else { 1.0 };
    let a = a * k;
    let b = b * k;
    let t1 = b * 0.41421356237309503;
    let t2 = b * 2.414213562373095;
    let mid = a > t1;
    let high = a > t2;
    let amb = a - b;
    let apb = a + b;
    let nb = -b;
    let num = if high { nb } else { amb };
    let num = if mid { num } else { a };
    let den = if high { a } else { apb };
    let den = if mid { den } else { b };
    let t = num / den;
    // x negative (its sign bit, −0 included): π − atan(a/b) = (π − offset) + atan(−t).
    let xneg = x.to_bits() >> 63 == 1;
    let t = if xneg { -t } else { t };
    let pick = |vals: [f64; 6]| {
        let [z, p4, p2, nz, np4, np2] = vals;
        let pos = if high { p2 } else { p4 };
        let pos = if mid { pos } else { z };
        let neg = if high { np2 } else { np4 };
        let neg = if mid { neg } else { nz };
        if xneg {
            neg
        } else {
            pos
        }
    };
    let hi = pick([0.0, ATANHI_PIO4, ATANHI_PIO2, PI_HI, PI3O4_HI, ATANHI_PIO2]);
    let lo = pick([0.0, ATANLO_PIO4, ATANLO_PIO2, PI_LO, PI3O4_LO, ATANLO_PIO2]);
    let r = atan_finish(t, hi, lo);
    let both_zero = a == 0.0 && b == 0.0;
    let both_inf = a == f64::INFINITY && b == f64::INFINITY;
    let r = if both_zero {
        if xneg {
            std::f64::consts::PI
        } else {
            0.0
        }
    } else {
        r
    };
    let r = if both_inf {
        if xneg {
            3.0 * std::f64::consts::FRAC_PI_4
        } else {
            std::f64::consts::FRAC_PI_4
        }
    } else {
        r
    };
    or_sign(r, y)
}

// ---- pow ----

/// `ln x` for a positive normal finite `x` as `hi + lo`, with [`POW_LOG_TAB`] (other `x`
/// give garbage, as in the kernel).
fn log_tab(x: f64) -> (f64, f64) {
    const OFF: u64 = 0x3fe6a00000000000;
    let b = x.to_bits();
    let shifted = b.wrapping_add(0x3ff0000000000000u64.wrapping_sub(OFF));
    let eb = shifted >> 52;
    let ef = f64::from_bits(eb.wrapping_add(MAGIC.to_bits()));
    let k = ef - (MAGIC + 1023.0);
    let zb = b.wrapping_sub(eb << 52).wrapping_add(0x3ff0000000000000);
    let z = f64::from_bits(zb);
    let idx = ((shifted >> 45) & 127) as usize;
    let [invc, logc, logct, _] = POW_LOG_TAB[idx];
    let r = fma(z, invc, -1.0);
    let t1 = fma(k, POW_LN2_HI, logc);
    let t2 = t1 + r;
    let lo1 = fma(k, POW_LN2_LO, logct);
    let d = t1 - t2;
    let lo2 = d + r;
    let ar = r * -0.5;
    let ar2 = r * ar;
    let ar3 = r * ar2;
    let hi = t2 + ar2;
    let nar2 = -ar2;
    let lo3 = fma(ar, r, nar2);
    let d = t2 - hi;
    let lo4 = d + ar2;
    let p3 = fma(r, 1.0, -8.0 / 7.0);
    let p3 = fma(ar2, 16.0 / 9.0, p3);
    let p2 = fma(r, -2.0 / 3.0, 0.8);
    let p2 = fma(ar2, p3, p2);
    let p1 = fma(r, 0.5, -2.0 / 3.0);
    let p1 = fma(ar2, p2, p1);
    let p = ar3 * p1;
    let lo = lo1 + lo2;
    let lo = lo + lo3;
    let lo = lo + lo4;
    let lo = lo + p;
    let y = hi + lo;
    let d = hi - y;
    let tail = d + lo;
    (y, tail)
}

/// `e^(ph + pl)` for |ph| < 708, with [`POW_EXP_TAB`].
fn exp_tab(ph: f64, pl: f64) -> f64 {
    let t = fma(ph, 128.0 / std::f64::consts::LN_2, MAGIC);
    let n = t - MAGIC;
    let nn = -n;
    let r = fma(nn, POW_LN2N_HI, ph);
    let r = fma(nn, POW_LN2N_LO, r);
    let r = r + pl;
    let tb = t.to_bits();
    let [head, tail] = POW_EXP_TAB[(tb & 127) as usize];
    let tv = f64::from_bits(tail);
    let scale = f64::from_bits(head.wrapping_add(tb << 45));
    let z = r * r;
    let q = horner(r, &[0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0]);
    let p = fma(z, q, r);
    let q = fma(tv, p, tv);
    let q = q + p;
    fma(scale, q, scale)
}

/// `x ** y` (C99's `pow`): the kernel's fast path, or Rust's `powf` (libm) for the
/// arguments its cold fallback takes (zeros, subnormals, infinities and NaN in x, negative x
/// with a non-integer y, |y·ln|x|| ≥ 708 or NaN).
pub fn pow(x: f64, y: f64) -> f64 {
    let ax = x.abs();
    let yi = is_int(y);
    let hyi = is_int(y * 0.5);
    let odd = yi && !hyi;
    let sign = if odd { x.to_bits() & (1 << 63) } else { 0 };
    let (lh, ll) = log_tab(ax);
    let ph = y * lh;
    let nph = -ph;
    let pl = fma(y, lh, nph);
    let pl = fma(y, ll, pl);
    let sub = ax.is_nan() || ax < f64::MIN_POSITIVE;
    let inf = ax == f64::INFINITY;
    let big = ph.is_nan() || ph.abs() >= 708.0;
    let negfrac = x < 0.0 && !yi;
    if sub || inf || big || negfrac {
        return x.powf(y);
    }
    let r = exp_tab(ph, pl);
    f64::from_bits(r.to_bits() | sign)
}

/// Values computed lane by lane: one `f64` (the reference), or a fixed array of them (the
/// wide tile routines, which LLVM vectorises), so that one source gives both, operation for
/// operation.
pub(crate) trait Lanes: Copy {
    /// `f` on each lane.
    fn map(self, f: impl Fn(f64) -> f64) -> Self;
    /// `f` on each pair of lanes.
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self;
    /// `f` on each triple of lanes.
    fn zip3(self, o: Self, p: Self, f: impl Fn(f64, f64, f64) -> f64) -> Self;
}

impl Lanes for f64 {
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        f(self)
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        f(self, o)
    }
    #[inline(always)]
    fn zip3(self, o: Self, p: Self, f: impl Fn(f64, f64, f64) -> f64) -> Self {
        f(self, o, p)
    }
}

impl<const L: usize> Lanes for [f64; L] {
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        std::array::from_fn(|k| f(self[k]))
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        std::array::from_fn(|k| f(self[k], o[k]))
    }
    #[inline(always)]
    fn zip3(self, o: Self, p: Self, f: impl Fn(f64, f64, f64) -> f64) -> Self {
        std::array::from_fn(|k| f(self[k], o[k], p[k]))
    }
}

/// A double-double value `hi + lo` whose `lo` may be known to be zero (`None`), so that
/// products with exact operands skip those terms (the JIT's `vmath::pow_const` makes the same
/// choices, operation for operation).
type Dd<T> = (T, Option<T>);

/// `a · b` as a double-double: the rounded product of the heads, its exact error by fma, and
/// the cross terms (`al·bl`, below 2⁻¹⁰⁰ relative, is dropped). Not renormalised.
#[inline(always)]
fn dd_mul<T: Lanes>((ah, al): Dd<T>, (bh, bl): Dd<T>) -> Dd<T> {
    let p = ah.zip(bh, |a, b| a * b);
    let e = ah.zip3(bh, p, |a, b, p| fma(a, b, -p));
    let t = match (al, bl) {
        (None, None) => return (p, Some(e)),
        (Some(al), None) => al.zip(bh, |l, b| l * b),
        (None, Some(bl)) => ah.zip(bl, |a, l| a * l),
        (Some(al), Some(bl)) => ah.zip3(bl, al.zip(bh, |l, b| l * b), fma),
    };
    (p, Some(e.zip(t, |e, t| e + t)))
}

/// `a²` as a double-double (see [`dd_mul`]).
#[inline(always)]
fn dd_sqr<T: Lanes>((ah, al): Dd<T>) -> Dd<T> {
    let p = ah.map(|a| a * a);
    let e = ah.zip(p, |a, p| fma(a, a, -p));
    match al {
        None => (p, Some(e)),
        Some(al) => {
            let t = ah.zip(al, |a, l| a * l);
            (p, Some(e.zip(t, |e, t| e + (t + t))))
        }
    }
}

/// `√a` as a double-double: the rounded root and the correction `(a − s²)/(2s)`, with
/// `a − s²` exact by fma.
#[inline(always)]
fn dd_sqrt<T: Lanes>((h, l): Dd<T>) -> Dd<T> {
    let s = h.map(f64::sqrt);
    let r = s.zip(h, |s, h| fma(-s, s, h));
    let r = match l {
        None => r,
        Some(l) => r.zip(l, |r, l| r + l),
    };
    (s, Some(r.zip(s, |r, s| r / (s + s))))
}

/// `x ** (halves / 2)` for a constant exponent that is an integer or half an integer
/// (`a**3`, `a**-2`, `(b+1)**-2.5`, `(a+1)**50`): binary powering in double-double
/// arithmetic (the base's reciprocal first, as a double-double, for a negative exponent;
/// times the double-double square root for a half), rounded once at the end, so the result
/// is within 1 ulp of the exact power wherever it is a normal float (in practice correctly
/// rounded). Special values follow C99's `pow`: a NaN in gives NaN; zeros and infinities give
/// the signed zeros and infinities `pow` gives (for a half exponent, −0 counts as +0 and −inf
/// as +inf; a negative x gives NaN); overflow gives ±inf and underflow ±0. Where the head is
/// zero (its sign is the result's) or the corrected value is not a number (an infinite or
/// zero operand along the way), the head is the result.
///
/// `halves` must not be −1: `x ** -0.5` of a subnormal `x` is finite while its reciprocal
/// overflows, so that exponent goes through [`pow`] (and 0 is `ones_like`).
///
/// The JIT emits exactly these operations (`codegen::vmath`), vector and scalar alike.
pub fn pow_const(x: f64, halves: i32) -> f64 {
    pow_const_lanes(x, halves)
}

/// [`pow_const`] on every lane of `x` (the wide tile routines call it on arrays).
#[inline(always)]
pub(crate) fn pow_const_lanes<T: Lanes>(x: T, halves: i32) -> T {
    let half = halves % 2 != 0;
    let x = if half {
        x.map(|v| {
            if v == f64::NEG_INFINITY {
                f64::INFINITY
            } else {
                v + 0.0
            }
        })
    } else {
        x
    };
    let base: Dd<T> = if halves < 0 {
        let r = x.map(|v| 1.0 / v);
        let e = r.zip(x, |r, x| fma(-r, x, 1.0));
        (r, Some(e.zip(r, |e, r| e * r)))
    } else {
        (x, None)
    };
    let root = half.then(|| dd_sqrt(base));
    let mut n = halves.unsigned_abs() / 2;
    let mut acc: Option<Dd<T>> = None;
    let mut b = base;
    while n > 0 {
        if n & 1 == 1 {
            acc = Some(match acc {
                None => b,
                Some(a) => dd_mul(a, b),
            });
        }
        n >>= 1;
        if n > 0 {
            b = dd_sqr(b);
        }
    }
    if let Some(s) = root {
        acc = Some(match acc {
            None => s,
            Some(a) => dd_mul(a, s),
        });
    }
    let Some((p, e)) = acc else {
        return x.map(|_| 1.0);
    };
    match e {
        None => p,
        Some(e) => p.zip(e, |p, e| {
            let r = p + e;
            if r.is_nan() || p == 0.0 {
                p
            } else {
                r
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::pow_const;

    /// Distance in ulps between two finite floats of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn pow_const_is_within_one_ulp_of_libm_on_normal_results() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut worst = 0;
        let mut off = 0usize;
        for halves in (-200i32..=200).chain([-2048, -1001, 1001, 2048]) {
            if halves == 0 || halves == -1 {
                continue;
            }
            for _ in 0..4000 {
                // log-uniform magnitudes over a range where most powers stay finite
                let r = next();
                let e = (r % 4000) as f64 / 4000.0 * 40.0 - 20.0;
                let mut x = 2f64.powf(e / (halves.unsigned_abs() as f64 / 2.0).max(1.0) * 10.0);
                x *= 1.0 + (next() % 1000) as f64 / 1000.0;
                if halves % 2 == 0 && r & 1 == 1 {
                    x = -x;
                }
                let want = x.powf(halves as f64 / 2.0);
                let got = pow_const(x, halves);
                if want.is_normal() {
                    let d = ulps(got, want);
                    worst = worst.max(d);
                    if d > 0 {
                        off += 1;
                    }
                    assert!(
                        d <= 1,
                        "{x:e} ** {}: {got:e} vs libm {want:e}",
                        halves as f64 / 2.0
                    );
                }
            }
        }
        eprintln!("pow_const: worst {worst} ulp, {off} results not libm's");
    }

    #[test]
    fn pow_const_special_values_are_libms() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            2.0,
            -2.0,
            0.5,
            1e300,
            -1e-300,
        ];
        for halves in [
            -129, -101, -7, -6, -5, -4, -3, -2, 1, 2, 3, 5, 6, 7, 8, 100, 101, 129,
        ] {
            for &x in &specials {
                let want = x.powf(halves as f64 / 2.0);
                let got = pow_const(x, halves);
                let ok = if want.is_normal() || want == 0.0 || want.is_infinite() {
                    got == want && got.is_sign_negative() == want.is_sign_negative()
                        || (want.is_normal() && ulps(got, want) <= 1)
                } else if want.is_nan() {
                    got.is_nan()
                } else {
                    // subnormal results: a few ulps of the smallest subnormal
                    (got - want).abs() <= 4.0 * 5e-324
                };
                assert!(
                    ok,
                    "{x:e} ** {}: {got:e} vs libm {want:e}",
                    halves as f64 / 2.0
                );
            }
            assert!(pow_const(f64::NAN, halves).is_nan());
        }
    }
}
