import Testing
import BinaryCrossEntropy

// Double references computed with mpmath at 200 bits and rounded once to Double (Python's
// float(mpf) rounds to nearest), independent of glibc's long double libm that both the library and
// the Float80 reference in AccuracyTests use. Generator (Python 3, mpmath 1.3, seed 20261129):
// random probabilities (0, 1, 10^-U(0,300), 1 - 10^-U(1,16), uniform), logits in ±50, ±1e-20..1,
// ±(50..700) and ±5, pos_weight none / U(0,5) / 1, weight 1 or U(0,4), grad_output U(-3,3);
//   BCE:    loss = ((y-1) max(log1p(-x),-100) - y max(log x,-100)) w,
//           d/dx = g (x-y)/max((1-x)x, EPSILON) w (scale max(|x|,|y|)/den |g w|), EPSILON = Double(Float(1e-12)),
//           d/dy = -(log x - log1p(-x)) g w for 0 < x < 1 (scale max(|log x|,|log1p(-x)|) |g w|);
//   logits: loss = ((1-y) sp(x) + p y sp(-x)) w,  d/dx = ((1-y) sigmoid(x) - p y sigmoid(-x)) g w,
//           d/dy = -x g w, or (p sp(-x) - sp(x)) g w with pos_weight.
// Bounds checked: the loss within 1 ULP of the correctly rounded value (the library's error
// is at most 0.5 ULP plus the Float80 evaluation's ~2^-10 ULP), gradients within 1 ULP of the
// larger of the value and its scale.

@Suite("Double against 200-bit mpmath references")
struct MPMathReferenceTests {
    enum Loss { case bce, logits }
    struct Case {
        var loss: Loss
        var x, y: Double
        var p: Double?
        var w, g: Double
        var expected, gradInput, gradInputScale: Double
        var gradTarget, gradTargetScale: Double?
    }

    /// |a - b| in units of Double's spacing at max(|b|, scale).
    static func ulps(_ a: Double, _ b: Double, scale: Double = 0) -> Double {
        if a == b || (a.isNaN && b.isNaN) { return 0 }
        let m = max(b.magnitude, scale.magnitude)
        return (a - b).magnitude / (m == 0 ? Double.leastNonzeroMagnitude : m.ulp)
    }

    @Test("loss within 1 ULP, gradients within 1 ULP of their scale, for 40 BCE and 40 logits cases")
    func againstMPMath() throws {
        var exact = 0, worst = 0.0
        for c in Self.cases {
            let x = NDArray(scalar: c.x), y = NDArray(scalar: c.y), w = NDArray(scalar: c.w), g = NDArray(scalar: c.g)
            let p = c.p.map { NDArray(scalar: $0) }
            let loss: Double, grads: BCEGradients<Double>
            switch c.loss {
            case .bce:
                loss = try binaryCrossEntropy(x, y, weight: w, reduction: .sum).scalar ?? .nan
                grads = try binaryCrossEntropyBackward(x, y, weight: w, reduction: .sum, gradOutput: g)
            case .logits:
                loss = try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .sum).scalar ?? .nan
                grads = try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: .sum, gradOutput: g)
            }
            let lossError = Self.ulps(loss, c.expected)
            if lossError == 0 { exact += 1 }
            worst = max(worst, lossError)
            #expect(lossError <= 1, "loss \(loss) vs \(c.expected) for \(c)")
            let gi = grads.input.scalar ?? .nan
            #expect(Self.ulps(gi, c.gradInput, scale: c.gradInputScale) <= 1, "d/dx \(gi) vs \(c.gradInput) for \(c)")
            if let expected = c.gradTarget, let scale = c.gradTargetScale {
                let gt = grads.target.scalar ?? .nan
                #expect(Self.ulps(gt, expected, scale: scale) <= 1, "d/dy \(gt) vs \(expected) for \(c)")
            }
        }
        print("mpmath Double references: \(exact) of \(Self.cases.count) losses bit-exact, worst \(worst) ULP")
    }

    static let cases: [Case] = [
        Case(loss: .bce, x: 0x1.0000000000000p+0, y: 0x1.ffc660df397c3p-1, p: nil, w: 0x1.ec8cda82e3a43p+1, g: -0x1.2986fa35e5f78p+0,
             expected: 0x1.5a74467d8ac4dp-3, gradInput: -0x1.d4c0691fb3b92p+30, gradInputScale: 0x1.0451e943486fdp+42, gradTarget: nil, gradTargetScale: nil),
        Case(loss: .bce, x: 0x1.42c197dc3c4c4p-194, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: -0x1.908db5b76856fp+0,
             expected: 0x1.42c197dc3c4c4p-194, gradInput: -0x1.cb4c860b00f15p-154, gradInputScale: 0x1.cb4c860b00f15p-154, gradTarget: -0x1.a413aef4adc2cp+7, gradTargetScale: 0x1.a413aef4adc2cp+7),
        Case(loss: .bce, x: 0x1.07ec29859f75ap-1, y: 0x1.3a8c2ac04c766p-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.49246a7732048p+1,
             expected: 0x1.5f830024f68ebp-1, gradInput: -0x1.049b39caf4ca4p+0, gradInputScale: 0x1.94ce21872ad92p+2, gradTarget: -0x1.460ee34d64d82p-3, gradTargetScale: 0x1.dcfb6861b84ffp+0),
        Case(loss: .bce, x: 0x1.c331d880c3ce0p-2, y: 0x1.ae7b0881340afp-491, p: nil, w: 0x1.0000000000000p+0, g: 0x1.8cd6b14f94fa8p-2,
             expected: 0x1.296f206eae38ap-1, gradInput: 0x1.62b67bfec9726p-1, gradInputScale: 0x1.62b67bfec9726p-1, gradTarget: 0x1.7ad134a3b2b06p-4, gradTargetScale: 0x1.453cf8b23b962p-2),
        Case(loss: .bce, x: 0x1.5b46f094cd400p-11, y: 0x1.4e2fea232ca63p-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.3967c153aa764p-1,
             expected: 0x1.31c8477c456a6p+2, gradInput: -0x1.2d7c584b70bc3p+9, gradInputScale: 0x1.2dcabf873aa53p+9, gradTarget: 0x1.1eba229d68b7fp+2, gradTargetScale: 0x1.1ec0c7c798100p+2),
        Case(loss: .bce, x: 0x1.54c8a6eeb2df0p-5, y: 0x1.ffffffbdb5270p-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.79a89f9b15144p+1,
             expected: 0x1.96ff43ddc2fd2p+1, gradInput: -0x1.1bb36516c3598p+6, gradInputScale: 0x1.2803cda124a60p+6, gradTarget: 0x1.283205322598ap+3, gradTargetScale: 0x1.2c350040f532cp+3),
        Case(loss: .bce, x: 0x0.0p+0, y: 0x1.573175c8ff388p-2, p: nil, w: 0x1.0000000000000p+0, g: 0x1.6bf5638be04f0p+0,
             expected: 0x1.0c1ea40507642p+5, gradInput: -0x1.bbc3419ee8956p+38, gradInputScale: 0x1.bbc3419ee8956p+38, gradTarget: nil, gradTargetScale: nil),
        Case(loss: .bce, x: 0x1.ffff2fd924a87p-1, y: 0x0.0p+0, p: nil, w: 0x1.16e908dc9fa9ep+0, g: 0x1.1b4bc3b3d73c0p-1,
             expected: 0x1.a207fa3d3d435p+3, gradInput: 0x1.7b9947bdedb81p+16, gradInputScale: 0x1.7b9947bdedb81p+16, gradTarget: -0x1.ce9a79da6083ep+2, gradTargetScale: 0x1.ce9a8989c151bp+2),
        Case(loss: .bce, x: 0x1.42c5382070ad1p-19, y: 0x1.d64e1cab6513cp-1, p: nil, w: 0x1.5549e01473e41p+1, g: -0x1.e920ef2e7977ap+0,
             expected: 0x1.fb008a22f3567p+4, gradInput: 0x1.db12d25691328p+20, gradInputScale: 0x1.db1323d95eaf5p+20, gradTarget: -0x1.07a5ab3d5b4a3p+6, gradTargetScale: 0x1.07a5ae7385995p+6),
        Case(loss: .bce, x: 0x1.c2e6a06fc3a1fp-464, y: 0x1.37a3f24b5ee80p-302, p: nil, w: 0x1.f78eaed7a5ef0p-2, g: -0x1.c0f66842dfbc3p+0,
             expected: 0x1.dee8a4baa8032p-297, gradInput: 0x1.e8e18226813cdp-263, gradInputScale: 0x1.e8e18226813cdp-263, gradTarget: -0x1.14e23edc42969p+8, gradTargetScale: 0x1.14e23edc42969p+8),
        Case(loss: .bce, x: 0x0.0p+0, y: 0x1.ffffffffffffep-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.119660e01f700p-5,
             expected: 0x1.8fffffffffffep+6, gradInput: -0x1.f1a71196147ebp+34, gradInputScale: 0x1.f1a71196147ebp+34, gradTarget: nil, gradTargetScale: nil),
        Case(loss: .bce, x: 0x1.467f6bc799e10p-2, y: 0x1.3436fa953b412p-1, p: nil, w: 0x1.0000000000000p+0, g: -0x1.985b4344ff23cp-1,
             expected: 0x1.ae8d16433f0cep-1, gradInput: 0x1.0a2eb6af0cf6cp+0, gradInputScale: 0x1.1af7c3c20d248p+1, gradTarget: -0x1.35f9f30f14014p-1, gradTargetScale: 0x1.d2c57a28817c2p-1),
        Case(loss: .bce, x: 0x1.9862b57a57510p-2, y: 0x1.4527efe2c3a3cp-2, p: nil, w: 0x1.7d8b4b307c828p-1, g: 0x1.586a6e831ca08p-1,
             expected: 0x1.e7be4a509b3b9p-2, gradInput: 0x1.5c0797ba4a671p-3, gradInputScale: 0x1.aaec2485d84ecp-1, gradTarget: 0x1.a5578ad3ccc98p-3, gradTargetScale: 0x1.d7dfc7375a291p-2),
        Case(loss: .bce, x: 0x1.a3c745536556ap-1, y: 0x1.6f25bd3e928bcp-128, p: nil, w: 0x1.5e5ed12fdce5dp+1, g: 0x1.c1ca3e5f30c04p+0,
             expected: 0x1.2c4a4ce4b93edp+2, gradInput: 0x1.ab368d64bf160p+4, gradInputScale: 0x1.ab368d64bf160p+4, gradTarget: -0x1.d27abd109cbdbp+2, gradTargetScale: 0x1.07cdc653be616p+3),
        Case(loss: .bce, x: 0x1.e992fdb1bbde0p-2, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: 0x1.20d50f99eae00p+0,
             expected: 0x1.4cf15a4dd3514p-1, gradInput: 0x1.14b65019bf43fp+1, gradInputScale: 0x1.14b65019bf43fp+1, gradTarget: 0x1.9517247e00e54p-4, gradTargetScale: 0x1.aa478341c29a5p-1),
        Case(loss: .bce, x: 0x1.ffffffffd1d6cp-1, y: 0x1.fffffffffbec3p-1, p: nil, w: 0x1.489eddba7c089p+1, g: 0x1.122773af70d18p-1,
             expected: 0x1.77e3b397f7ca0p-33, gradInput: -0x1.40d6d53cfe1b4p+0, gradInputScale: 0x1.e7eccbb063615p+35, gradTarget: -0x1.0e65daf5231e4p+5, gradTargetScale: 0x1.0e65daf5241c1p+5),
        Case(loss: .bce, x: 0x1.5da48aa0f04f0p-2, y: 0x1.fffffffd276c4p-1, p: nil, w: 0x1.bc96b312f281ap+1, g: -0x1.4031fb16d9b00p-2,
             expected: 0x1.ddbcb6b77b788p+1, gradInput: 0x1.97250874e6515p+1, gradInputScale: 0x1.351f0134b44b5p+2, gradTarget: -0x1.6d41bb454511bp-1, gradTargetScale: 0x1.2ac4950c83699p+0),
        Case(loss: .bce, x: 0x1.4885edd22feeap-2, y: 0x1.70920f6474e2bp-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.4cb7ed29f066cp+1,
             expected: 0x1.da80ff81d73a4p-1, gradInput: -0x1.30a8fe3ba797ep+2, gradInputScale: 0x1.12cd23c1c50b5p+3, gradTarget: 0x1.f3123fe72b3cfp+0, gradTargetScale: 0x1.7a417bf7044d7p+1),
        Case(loss: .bce, x: 0x1.e19df8aebee50p-140, y: 0x1.ffffffa4050b0p-1, p: nil, w: 0x1.17d8586f40022p+0, g: -0x1.90ccc79e117a0p-2,
             expected: 0x1.a58deee6695e5p+6, gradInput: 0x1.8e7aa5bb2043cp+38, gradInputScale: 0x1.8e7aa5bb2043cp+38, gradTarget: -0x1.49ff7dc74a532p+5, gradTargetScale: 0x1.49ff7dc74a532p+5),
        Case(loss: .bce, x: 0x1.fffffee529b76p-1, y: 0x1.a452b23949ab0p-2, p: nil, w: 0x1.9875aa66d9a5dp+1, g: -0x1.e67449bed30c7p+0,
             expected: 0x1.034b6d1519be8p+5, gradInput: -0x1.9e26d87b80b95p+26, gradInputScale: 0x1.5f41c3bc7353cp+27, gradTarget: 0x1.a1e394255db0ap+6, gradTargetScale: 0x1.a1e39432c3cbbp+6),
        Case(loss: .bce, x: 0x1.4e1108c488588p-3, y: 0x1.f3b8d3c2e1fe0p-282, p: nil, w: 0x1.0000000000000p+0, g: -0x1.8a0ef60d6f9e0p-4,
             expected: 0x1.6cb16274296cdp-3, gradInput: -0x1.d6dd80563dfd9p-4, gradInputScale: 0x1.d6dd80563dfd9p-4, gradTarget: -0x1.422ef20653774p-3, gradTargetScale: 0x1.6544d7224fa2fp-3),
        Case(loss: .bce, x: 0x1.2610d4c8dff02p-1, y: 0x1.72153f8107c26p-1, p: nil, w: 0x1.0000000000000p+0, g: -0x1.adabf54ce4120p-1,
             expected: 0x1.466f43aebb11fp-1, gradInput: 0x1.04f1ead45d00cp-1, gradInputScale: 0x1.3d98bf06492f9p+1, gradTarget: 0x1.0177c413009bap-2, gradTargetScale: 0x1.6efefac979204p-1),
        Case(loss: .bce, x: 0x1.e8bb2d12e7899p-928, y: 0x1.fffffffffffe7p-1, p: nil, w: 0x1.0000000000000p+0, g: -0x1.8a40cf5c9fec9p+0,
             expected: 0x1.8ffffffffffecp+6, gradInput: 0x1.669237e41d135p+40, gradInputScale: 0x1.669237e41d135p+40, gradTarget: -0x1.eed059446e30bp+9, gradTargetScale: 0x1.eed059446e30bp+9),
        Case(loss: .bce, x: 0x1.88cfa9977b430p-2, y: 0x1.2174aa9f0ac8cp-3, p: nil, w: 0x1.d63ea48eb046dp+1, g: -0x1.2aec200198360p-1,
             expected: 0x1.030eab619a114p+1, gradInput: -0x1.194c4d7dc7675p+1, gradInputScale: 0x1.bd6722b1bf46fp+1, gradTarget: -0x1.046b64b4d8d25p+0, gradTargetScale: 0x1.070d766044ff1p+1),
        Case(loss: .bce, x: 0x1.8a36b52e3ff64p-1, y: 0x0.0p+0, p: nil, w: 0x1.1ca36298c9573p+1, g: -0x1.310292770cfc0p-3,
             expected: 0x1.a2432c9718261p+1, gradInput: -0x1.7089cc5993a8bp+0, gradInputScale: 0x1.7089cc5993a8bp+0, gradTarget: 0x1.99ad671703d95p-2, gradTargetScale: 0x1.f2563bf32ed25p-2),
        Case(loss: .bce, x: 0x1.49232d5f21385p-960, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: -0x1.3df8c4ac61cf6p+1,
             expected: 0x1.49232d5f21385p-960, gradInput: -0x1.73d070d1beacbp-919, gradInputScale: 0x1.73d070d1beacbp-919, gradTarget: -0x1.9d18a253434f2p+10, gradTargetScale: 0x1.9d18a253434f2p+10),
        Case(loss: .bce, x: 0x0.0p+0, y: 0x1.fffffffbf8c37p-1, p: nil, w: 0x1.a3d0994265b60p-2, g: 0x1.242fba2dfc150p-1,
             expected: 0x1.47faf7b94add8p+5, gradInput: -0x1.b3ca70f1de6ccp+37, gradInputScale: 0x1.b3ca70f1de6ccp+37, gradTarget: nil, gradTargetScale: nil),
        Case(loss: .bce, x: 0x1.209e1fcb4de3cp-3, y: 0x1.ffffde71f7762p-1, p: nil, w: 0x1.0000000000000p+0, g: -0x1.6b0333cd484b6p+1,
             expected: 0x1.f5a2baa33c7fcp+0, gradInput: 0x1.41fca1f403ccfp+4, gradInputScale: 0x1.76cea4dbef7e5p+4, gradTarget: -0x1.4817ed40bc8abp+2, gradTargetScale: 0x1.63aa180838536p+2),
        Case(loss: .bce, x: 0x1.adbe596458508p-2, y: 0x1.fffffffef8044p-1, p: nil, w: 0x1.e6ec6b1848596p+1, g: 0x1.aca67730dee4cp+0,
             expected: 0x1.a6c998b5a7a30p+1, gradInput: -0x1.e5af4b65ea3c5p+3, gradInputScale: 0x1.a274e9ecdded3p+4, gradTarget: 0x1.0842c6125497dp+1, gradTargetScale: 0x1.61f5fb70d71a9p+2),
        Case(loss: .bce, x: 0x1.13e40162c188bp-716, y: 0x1.fffffffeff72ep-1, p: nil, w: 0x1.0000000000000p+0, g: -0x1.7944fde9512dcp+1,
             expected: 0x1.8fffffff3791cp+6, gradInput: 0x1.571fe6951777fp+41, gradInputScale: 0x1.571fe6951777fp+41, gradTarget: -0x1.6da4101099d58p+10, gradTargetScale: 0x1.6da4101099d58p+10),
        Case(loss: .bce, x: 0x1.e2ba301188512p-2, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: -0x1.b2245f0561f50p-2,
             expected: 0x1.466cc47756532p-1, gradInput: -0x1.9aa9c2d4ad4d8p-1, gradInputScale: 0x1.9aa9c2d4ad4d8p-1, gradTarget: -0x1.8d93182b38792p-5, gradTargetScale: 0x1.467bc5c8fc979p-2),
        Case(loss: .bce, x: 0x1.8cfd8b1fff8f9p-28, y: 0x1.2586000cc36cap-2, p: nil, w: 0x1.0000000000000p+0, g: -0x1.48abfeeb32828p-2,
             expected: 0x1.5bff5a30eeaa4p+2, gradInput: 0x1.e60572bcd9b8ep+23, gradInputScale: 0x1.e60573612fb86p+23, gradTarget: -0x1.85ab4171e7af7p+2, gradTargetScale: 0x1.85ab4173e55f0p+2),
        Case(loss: .bce, x: 0x1.0000000000000p+0, y: 0x1.0000000000000p+0, p: nil, w: 0x1.cb889062524ccp-1, g: -0x1.6ca2c63f0a9b8p-2,
             expected: 0x0.0p+0, gradInput: 0x0.0p+0, gradInputScale: 0x1.29a68ac9c9caap+38, gradTarget: nil, gradTargetScale: nil),
        Case(loss: .bce, x: 0x1.270aaa0d82fa5p-849, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: 0x1.d7e9f033aa3b8p+0,
             expected: 0x1.270aaa0d82fa5p-849, gradInput: 0x1.eea8cce9503d8p-809, gradInputScale: 0x1.eea8cce9503d8p-809, gradTarget: 0x1.0f23724ac6675p+10, gradTargetScale: 0x1.0f23724ac6675p+10),
        Case(loss: .bce, x: 0x1.ffe60fdb26176p-1, y: 0x1.f69b0b196ccb0p-557, p: nil, w: 0x1.8e1fa627e0570p+1, g: 0x1.672773df6da80p-4,
             expected: 0x1.a863ad941b57fp+4, gradInput: 0x1.588a927ee764ep+10, gradInputScale: 0x1.588a927ee764ep+10, gradTarget: -0x1.29b0d31068a36p+1, gradTargetScale: 0x1.29b297d8a7bf9p+1),
        Case(loss: .bce, x: 0x1.fffffff8119f0p-1, y: 0x0.0p+0, p: nil, w: 0x1.4917325eaa006p+1, g: -0x1.4d9d599586620p+0,
             expected: 0x1.abe1735e55ce5p+5, gradInput: -0x1.b09647ebf9d91p+31, gradInputScale: 0x1.b09647ebf9d91p+31, gradTarget: 0x1.16cda1082c0e4p+6, gradTargetScale: 0x1.16cda1086133ep+6),
        Case(loss: .bce, x: 0x1.a268d16d57bd1p-1, y: 0x1.ffffffffeb515p-1, p: nil, w: 0x1.898566e75b6d2p+0, g: -0x1.7cfb35397fe78p+1,
             expected: 0x1.3dc04dffa8cbfp-2, gradInput: 0x1.6651bca4fe39dp+2, gradInputScale: 0x1.ea0f09158568ap+4, gradTarget: 0x1.b6820ce61afe4p+2, gradTargetScale: 0x1.f19e35128e25ep+2),
        Case(loss: .bce, x: 0x1.fffff4fdbbf1dp-1, y: 0x1.b6af13ccea0bep-2, p: nil, w: 0x1.a4b99200b7d80p-2, g: 0x1.a2d1b6a1b6f0cp-1,
             expected: 0x1.c0ce2702bf6e0p+1, gradInput: 0x1.1de7ed43dbf24p+19, gradInputScale: 0x1.f42ffdcf02af8p+19, gradTarget: -0x1.4123c5bbb6f0ap+2, gradTargetScale: 0x1.4123c6321d014p+2),
        Case(loss: .bce, x: 0x1.df957c380cc8fp-1, y: 0x1.9f2446a385ca8p-4, p: nil, w: 0x1.51df10205f00ap+1, g: 0x1.17a64cb1b39c0p+1,
             expected: 0x1.a4133ff0c1e46p+2, gradInput: 0x1.44ec5ed51d1c9p+6, gradInputScale: 0x1.6c58d3c2cbd4fp+6, gradTarget: -0x1.f134954ac201bp+3, gradTargetScale: 0x1.fd46882ddaf47p+3),
        Case(loss: .bce, x: 0x1.9a682deed9ff6p-364, y: 0x1.ffff9f0e057d2p-1, p: nil, w: 0x1.0000000000000p+0, g: 0x1.1a4b8f0d88e08p+1,
             expected: 0x1.8fffb442f449cp+6, gradInput: -0x1.00bec5af23b92p+41, gradInputScale: 0x1.00bec5af23b92p+41, gradTarget: 0x1.15b367a2cba80p+9, gradTargetScale: 0x1.15b367a2cba80p+9),
        Case(loss: .logits, x: 0x1.e33f26d309063p+7, y: 0x0.0p+0, p: 0x1.141b7b776cdb3p+1, w: 0x1.0000000000000p+0, g: 0x1.a08f7f2bde348p+0,
             expected: 0x1.e33f26d309063p+7, gradInput: 0x1.a08f7f2bde348p+0, gradInputScale: 0x1.a08f7f2bde348p+0, gradTarget: -0x1.892abfb660ef1p+8, gradTargetScale: 0x1.892abfb660ef1p+8),
        Case(loss: .logits, x: -0x1.cc7ebc2c68c7ep+4, y: 0x1.0000000000000p+0, p: 0x1.b099c1e50e89cp+1, w: 0x1.f13f0b30b9551p+1, g: -0x1.1c29a92e88077p+1,
             expected: 0x1.79df027a3dd0cp+8, gradInput: 0x1.d25aaad39f30fp+4, gradInputScale: 0x1.d25aaad39f30fp+4, gradTarget: -0x1.a370e52fe9a49p+9, gradTargetScale: 0x1.a370e52fe9a62p+9),
        Case(loss: .logits, x: -0x1.7fedb218bea10p+3, y: 0x1.275f118c3663ep-2, p: 0x1.0000000000000p+0, w: 0x1.2742b5ed7df38p-1, g: 0x1.ee75d2ba7c000p-4,
             expected: 0x1.fee9284e6716cp+0, gradInput: -0x1.48fe170c513a9p-6, gradInputScale: 0x1.48ff5e93375acp-6, gradTarget: 0x1.aba3944d831cdp-1, gradTargetScale: 0x1.aba3a2afebf26p-1),
        Case(loss: .logits, x: -0x1.10df6a2137c3bp+1, y: 0x1.fff38b40227f9p-1, p: 0x1.29f8236c84cacp+1, w: 0x1.89aa2351ec9cbp+1, g: -0x1.0e69d93359426p+1,
             expected: 0x1.0104abc07283ep+4, gradInput: 0x1.b0a2132855d16p+3, gradInputScale: 0x1.b0a29c78c0135p+3, gradTarget: -0x1.09b00975219c2p+5, gradTargetScale: 0x1.0f83a8d598d7bp+5),
        Case(loss: .logits, x: 0x1.d8e22765593d8p+1, y: 0x1.9765586db6f2ep-1, p: 0x1.9f6585219b738p-2, w: 0x1.9f3a3dfcb8810p-2, g: -0x1.e0336074c8b75p+0,
             expected: 0x1.3ec838bbf53acp-2, gradInput: -0x1.2a569b0a9a482p-3, gradInputScale: 0x1.36894409d3df4p-3, gradTarget: 0x1.691b4e2e20da5p+1, gradTargetScale: 0x1.6a139b72b1653p+1),
        Case(loss: .logits, x: -0x1.62df9f5581201p-8, y: 0x1.ffdf654000159p-1, p: 0x1.0000000000000p+0, w: 0x1.0000000000000p+0, g: -0x1.b448daca2048cp+0,
             expected: 0x1.64475d5844af0p-1, gradInput: 0x1.b53faeb016f57p-1, gradInputScale: 0x1.b55b63d9972dfp-1, gradTarget: -0x1.2e64ecc6876d2p-7, gradTargetScale: 0x1.2f979e48bd5f0p+0),
        Case(loss: .logits, x: -0x1.758b2bd5def9bp+1, y: 0x1.c7e2e8e4e0ed4p-1, p: 0x1.01ad5ec14d9ddp+2, w: 0x1.69caf0ed66365p+1, g: -0x1.5468b9d2eeaa4p+0,
             expected: 0x1.e1eccbf8d53b3p+4, gradInput: 0x1.9863cf601e8a2p+3, gradInputScale: 0x1.9910c4d699a00p+3, gradTarget: -0x1.6613452938dc7p+5, gradTargetScale: 0x1.67a846460905ap+5),
        Case(loss: .logits, x: 0x1.876f8ce37a32cp-60, y: 0x1.586d2b537c580p-2, p: 0x1.0322cbf366a8ap+1, w: 0x1.db259e83fbdd7p+1, g: -0x1.7fa4df2d49f06p+1,
             expected: 0x1.bad67be2c1759p+1, gradInput: 0x1.8a3fc16752cf4p-4, gradInputScale: 0x1.e4e03bbf6d3c3p+1, gradTarget: -0x1.f9a7782814f2ap+2, gradTargetScale: 0x1.f39bb2106debdp+3),
        Case(loss: .logits, x: 0x1.4fbe7526a7ca2p+9, y: 0x1.42cf0dd909fd8p-62, p: 0x1.0000000000000p+0, w: 0x1.98b76cc7644a3p+1, g: -0x1.8967329bc56f0p-2,
             expected: 0x1.0c040d429a069p+11, gradInput: -0x1.3a0b2c4bb159bp+0, gradInputScale: 0x1.3a0b2c4bb159bp+0, gradTarget: 0x1.9bde42f873fe7p+9, gradTargetScale: 0x1.9bde42f873fe7p+9),
        Case(loss: .logits, x: 0x1.44eb7c9e00668p+3, y: 0x1.0e35c0872d990p-262, p: nil, w: 0x1.cb5f006e1bdd2p+0, g: 0x1.01ca829333fb4p+1,
             expected: 0x1.2385af6ec9362p+4, gradInput: 0x1.ce91268bcdabcp+1, gradInputScale: 0x1.ce91268bcdabcp+1, gradTarget: -0x1.258f878953faep+5, gradTargetScale: 0x1.258f878953faep+5),
        Case(loss: .logits, x: -0x1.a746c468162adp+1, y: 0x0.0p+0, p: 0x1.17d6f8c48bb62p-1, w: 0x1.0000000000000p+0, g: 0x1.f8e8ec2afc2d0p-3,
             expected: 0x1.26b8308723b0cp-5, gradInput: 0x1.1d78e85121d4bp-7, gradInputScale: 0x1.1d78e85121d4bp-7, gradTarget: 0x1.c42afd8e330a6p-2, gradTargetScale: 0x1.cd4018a798526p-2),
        Case(loss: .logits, x: 0x1.e0f4484c8884cp+1, y: 0x1.0714c6a66020cp-115, p: 0x1.0000000000000p+0, w: 0x1.37f90521888d2p+0, g: -0x1.d52c8f6168c40p-2,
             expected: 0x1.26db052371cf5p+2, gradInput: -0x1.175b5e79b49e2p-1, gradInputScale: 0x1.175b5e79b49e2p-1, gradTarget: 0x1.0c8b1b526585bp+1, gradTargetScale: 0x1.0e314999ad8f7p+1),
        Case(loss: .logits, x: 0x1.428a8f33cce6ap+1, y: 0x1.0000000000000p+0, p: nil, w: 0x1.0000000000000p+0, g: 0x1.70976a5104e90p-2,
             expected: 0x1.3d051485812aep-4, gradInput: -0x1.b73b460fa9b1fp-6, gradInputScale: 0x1.b73b460fa9b1fp-6, gradTarget: -0x1.d065f388616bep-1, gradTargetScale: 0x1.d065f388616bep-1),
        Case(loss: .logits, x: -0x1.0f135cdde502cp+2, y: 0x1.69fee8b1d282cp-3, p: 0x1.693019ee829b8p-1, w: 0x1.0000000000000p+0, g: 0x1.efc5d647eeb00p-3,
             expected: 0x1.156145f6febffp-1, gradInput: -0x1.b8ea80cf221edp-6, gradInputScale: 0x1.e77e84408c927p-6, gradTarget: 0x1.71cfd7d5565ecp-1, gradTargetScale: 0x1.7397bba8451aap-1),
        Case(loss: .logits, x: -0x1.a98133726ed0dp+8, y: 0x1.0000000000000p+0, p: 0x1.0000000000000p+0, w: 0x1.7ef3a34758dc0p-1, g: 0x1.a170d73642b78p-1,
             expected: 0x1.3e41dfe638a20p+8, gradInput: -0x1.3839d4bf3823fp-1, gradInputScale: 0x1.3839d4bf3823fp-1, gradTarget: 0x1.037acb0a5f6cbp+8, gradTargetScale: 0x1.037acb0a5f6cbp+8),
        Case(loss: .logits, x: 0x1.33b9b070c7604p-28, y: 0x1.a4ce702f41376p-2, p: 0x1.14aee098797b5p+1, w: 0x1.0000000000000p+0, g: 0x1.90f64c7849430p+0,
             expected: 0x1.062618a034768p+0, gradInput: -0x1.dfed30f24febep-3, gradInputScale: 0x1.642bbde693159p-1, gradTarget: 0x1.42d5bb6ec28aap+0, gradTargetScale: 0x1.2c615ccaa8da6p+1),
        Case(loss: .logits, x: -0x1.8e0c52ae3d1aep+8, y: 0x1.58d86fd48c8bep-745, p: 0x1.c4f30f7b6559cp-1, w: 0x1.abc4955573a3ep+1, g: 0x1.702b79865ff04p-1,
             expected: 0x1.64b6011d3e17ep-573, gradInput: 0x1.00811ac0be52cp-573, gradInputScale: 0x1.00811ac0be52cp-573, gradTarget: 0x1.a71e4a786e59ap+9, gradTargetScale: 0x1.a71e4a786e59ap+9),
        Case(loss: .logits, x: 0x1.4c1de8b4e4e97p+9, y: 0x1.0000000000000p+0, p: 0x1.64afd0b70f027p+1, w: 0x1.47cf373b8ebd6p+0, g: -0x1.28ee61e5331f8p-1,
             expected: 0x1.767233a29c7c4p-957, gradInput: 0x1.b250b9108a9ccp-958, gradInputScale: 0x1.b250b9108a9ccp-958, gradTarget: 0x1.ed462403887bcp+8, gradTargetScale: 0x1.ed462403887bcp+8),
        Case(loss: .logits, x: -0x1.b64d623700863p+8, y: 0x1.43de73c4605a0p-2, p: 0x1.0000000000000p+0, w: 0x1.c1e32bad2d66ep+1, g: 0x1.26113b7ab9586p+1,
             expected: 0x1.e73bb7ba6ba3fp+8, gradInput: -0x1.46e571d29a1cfp+1, gradInputScale: 0x1.46e571d29a1cfp+1, gradTarget: 0x1.ba6634b07a214p+11, gradTargetScale: 0x1.ba6634b07a214p+11),
        Case(loss: .logits, x: 0x1.890a483f841bcp-20, y: 0x1.dc33d5ae39478p-2, p: nil, w: 0x1.0000000000000p+0, g: -0x1.ae67e2cb0e356p+0,
             expected: 0x1.62e431a7531e3p-1, gradInput: -0x1.e17cf9ef89d23p-5, gradInputScale: 0x1.cc7fb3dba3ee2p-2, gradTarget: 0x1.4a6762584b1a5p-19, gradTargetScale: 0x1.4a6762584b1a5p-19),
        Case(loss: .logits, x: 0x1.335109becf648p-62, y: 0x1.041817fe1cdd4p-387, p: 0x1.44e4711af81a0p-6, w: 0x1.217b0e3938513p+1, g: 0x1.e06d2b30a2a40p-4,
             expected: 0x1.914e31785d5a5p+0, gradInput: 0x1.0fa11673812a6p-3, gradInputScale: 0x1.0fa11673812a6p-3, gradTarget: -0x1.71174bff400bep-3, gradTargetScale: 0x1.788edf608f9b1p-3),
        Case(loss: .logits, x: -0x1.c762e5b49868fp-64, y: 0x1.ffffffffffff6p-1, p: 0x1.3508a153156c0p-7, w: 0x1.0000000000000p+0, g: -0x1.21a1d6449ad04p+1,
             expected: 0x1.ac6964a270069p-8, gradInput: 0x1.5da21b34484aap-7, gradInputScale: 0x1.5da21b344877ep-7, gradTarget: 0x1.8dba910a9b923p+0, gradTargetScale: 0x1.9183f4a988b96p+0),
        Case(loss: .logits, x: -0x1.ae640bb982ce3p+1, y: 0x1.f9d924bf3972cp-3, p: 0x1.2971ee5be603ep+1, w: 0x1.0f6c0d4a17824p-1, g: -0x1.2f9cbc4011280p-1,
             expected: 0x1.0c0bdc8160d30p+0, gradInput: 0x1.54e96620f3e01p-3, gradInputScale: 0x1.6525c3b665f23p-3, gradTarget: -0x1.3c373ae3fcbe7p+1, gradTargetScale: 0x1.3d961f0cbb68ep+1),
        Case(loss: .logits, x: 0x1.29e1c994fb3f6p+8, y: 0x0.0p+0, p: nil, w: 0x1.0000000000000p+0, g: 0x1.7b0fbf9cb29e8p+0,
             expected: 0x1.29e1c994fb3f6p+8, gradInput: 0x1.7b0fbf9cb29e8p+0, gradInputScale: 0x1.7b0fbf9cb29e8p+0, gradTarget: -0x1.b91398a02a85fp+8, gradTargetScale: 0x1.b91398a02a85fp+8),
        Case(loss: .logits, x: -0x1.33dd0ca10f6d1p+2, y: 0x1.94446c224f8b3p-121, p: 0x1.0000000000000p+0, w: 0x1.4a5d9810fb073p+1, g: 0x1.4db69cb3e7158p+1,
             expected: 0x1.570685c273e56p-6, gradInput: 0x1.bd59228010031p-5, gradInputScale: 0x1.bd59228010031p-5, gradTarget: 0x1.02f34e7b47512p+5, gradTargetScale: 0x1.036318866dd58p+5),
        Case(loss: .logits, x: -0x1.90a14d712bb13p+4, y: 0x1.a56e47bb126b9p-1, p: 0x1.55012e642d0d4p+0, w: 0x1.0000000000000p+0, g: -0x1.ca9e42d0f015dp+0,
             expected: 0x1.b7422b28994f9p+4, gradInput: 0x1.f6d676da4a57cp+0, gradInputScale: 0x1.f6d676da4efecp+0, gradTarget: -0x1.de04def5e242bp+5, gradTargetScale: 0x1.de04def5e3151p+5),
        Case(loss: .logits, x: 0x1.efbcbfcc9f25cp+8, y: 0x1.3b7d6c945b390p-3, p: 0x1.0000000000000p+0, w: 0x1.199a1d6409c98p+0, g: -0x1.7943e9cd1b5d9p+1,
             expected: 0x1.cd4f7313f3b4ep+8, gradInput: -0x1.5f10d42367e0bp+1, gradInputScale: 0x1.5f10d42367e0bp+1, gradTarget: 0x1.91d03221cd3cdp+10, gradTargetScale: 0x1.91d03221cd3cdp+10),
        Case(loss: .logits, x: 0x1.2b83739be2b64p+3, y: 0x1.e5a9fb36c73b2p-634, p: nil, w: 0x1.1b7b5d43a3e16p+1, g: 0x1.7b53a8348dac8p+1,
             expected: 0x1.4bab6e0ee459fp+4, gradInput: 0x1.a40303de8ef9fp+2, gradInputScale: 0x1.a40303de8ef9fp+2, gradTarget: -0x1.eb72061f2e465p+5, gradTargetScale: 0x1.eb72061f2e465p+5),
        Case(loss: .logits, x: -0x1.434d357841389p-27, y: 0x1.fdeab2bc45f56p-1, p: 0x1.1f5b418f294d4p+0, w: 0x1.673f7728c42c0p+1, g: -0x1.65234c61a8fd0p-1,
             expected: 0x1.176358ed04201p+1, gradInput: 0x1.171e136782ccbp+0, gradInputScale: 0x1.182316e9b0275p+0, gradTarget: -0x1.5467122e254d0p-3, gradTargetScale: 0x1.85f06309212f1p+0),
        Case(loss: .logits, x: 0x1.48d1009146dcep-56, y: 0x1.0000000000000p+0, p: 0x1.0000000000000p+0, w: 0x1.0000000000000p+0, g: 0x1.2c4251ea5feb4p+1,
             expected: 0x1.62e42fefa39efp-1, gradInput: -0x1.2c4251ea5feb4p+0, gradInputScale: 0x1.2c4251ea5feb4p+0, gradTarget: -0x1.81aa1bc38feb5p-55, gradTargetScale: 0x1.a03f58904c3dep+0),
        Case(loss: .logits, x: -0x1.481892840cfdbp+9, y: 0x1.ffffffffccd1cp-1, p: 0x1.2d98f828745eep+2, w: 0x1.0000000000000p+0, g: 0x1.529191e527cc4p-1,
             expected: 0x1.8288f0e7c1f60p+11, gradInput: -0x1.8edf772b6df7cp+1, gradInputScale: 0x1.8edf772b6df7cp+1, gradTarget: 0x1.ff3499ec357f9p+10, gradTargetScale: 0x1.ff3499ec357f9p+10),
        Case(loss: .logits, x: -0x1.c8307483cfea6p-21, y: 0x1.f9c85f8beeff0p-1, p: 0x1.c7ee254550731p+1, w: 0x1.0000000000000p+0, g: -0x1.7275d44256d08p-1,
             expected: 0x1.39444b7d7f627p+1, gradInput: 0x1.44c2a33773a75p+0, gradInputScale: 0x1.45e28b7ee7d47p+0, gradTarget: -0x1.48ef2b0ab0910p+0, gradTargetScale: 0x1.c9536f572d1a5p+0),
        Case(loss: .logits, x: -0x1.69ff71df79198p+4, y: 0x1.ff8a738b5c6f0p-4, p: 0x1.0000000000000p+0, w: 0x1.8155f77c0a34ap+1, g: 0x1.9323f4610cb88p-1,
             expected: 0x1.1032d05ecd099p+3, gradInput: -0x1.2f229105b2e6ap-2, gradInputScale: 0x1.2f22910b053dbp-2, gradTarget: 0x1.ad08b8ff5dcc4p+5, gradTargetScale: 0x1.ad08b8ff69f5cp+5),
        Case(loss: .logits, x: 0x1.39fdd07a3cb1ap+5, y: 0x1.0000000000000p+0, p: nil, w: 0x1.c9f27073b89d1p+1, g: 0x1.029e6b313c460p+0,
             expected: 0x1.291925cb17ce6p-55, gradInput: -0x1.2c233202a7e5fp-55, gradInputScale: 0x1.2c233202a7e5fp-55, gradTarget: -0x1.1bb734b573da7p+7, gradTargetScale: 0x1.1bb734b573da7p+7),
        Case(loss: .logits, x: 0x1.19d65d3beaf10p+4, y: 0x1.570d47f52ab80p-1, p: 0x1.2d9c35d6804d5p+2, w: 0x1.03cd4d2e5a345p+1, g: 0x1.d634846c6c908p-1,
             expected: 0x1.79861c8dce02ap+3, gradInput: 0x1.3aec0e5e840e0p-1, gradInputScale: 0x1.3aec12ca5108cp-1, gradTarget: -0x1.06acc0965c04dp+5, gradTargetScale: 0x1.06acc0b0c0cddp+5),
        Case(loss: .logits, x: -0x1.aa2e4a1c0c7a0p-1, y: 0x1.c652142b7c370p-4, p: 0x1.aeb7b43f2f512p+1, w: 0x1.8cdc2ba0c73c0p-3, g: 0x1.61c2d0b482868p-1,
             expected: 0x1.303acb81b039fp-3, gradInput: 0x1.4ac001375e5f3p-10, gradInputScale: 0x1.279d01df0b761p-5, gradTarget: 0x1.f520fffd8d60fp-2, gradTargetScale: 0x1.1352c954c6961p-1),
        Case(loss: .logits, x: 0x1.1b7955904688fp+9, y: 0x1.960771a0c03eap-1, p: 0x1.0000000000000p+0, w: 0x1.039d7006bfbd9p+1, g: -0x1.9ac95f3698460p-1,
             expected: 0x1.dc00c66370e4bp+7, gradInput: -0x1.58e44aa3b27b0p-2, gradInputScale: 0x1.58e44aa3b27b0p-2, gradTarget: 0x1.cd4baaa8e6e41p+9, gradTargetScale: 0x1.cd4baaa8e6e41p+9),
        Case(loss: .logits, x: 0x1.8265427097038p+2, y: 0x0.0p+0, p: 0x1.0000000000000p+0, w: 0x1.0000000000000p+0, g: 0x1.f725eea056c94p+0,
             expected: 0x1.828c552f8a074p+2, gradInput: 0x1.f5f31dd527836p+0, gradInputScale: 0x1.f5f31dd527836p+0, gradTarget: -0x1.7bb71b2cfc84dp+3, gradTargetScale: 0x1.7bdd80fca502dp+3),
        Case(loss: .logits, x: 0x1.0369e490ed7dap+9, y: 0x1.b6fe04ce69f6ep-1, p: 0x1.0000000000000p+0, w: 0x1.0000000000000p+0, g: -0x1.24cd3ebcd87bfp+0,
             expected: 0x1.27ecd0892ac79p+6, gradInput: -0x1.4e032bfc2f7c3p-3, gradInputScale: 0x1.4e032bfc2f7c3p-3, gradTarget: 0x1.28b4c414596f6p+9, gradTargetScale: 0x1.28b4c414596f6p+9),
        Case(loss: .logits, x: -0x1.5443a67d04ef8p+5, y: 0x1.be2eb30e4e682p-1, p: 0x1.0000000000000p+0, w: 0x1.0000000000000p+0, g: 0x1.15edd2d673fe0p+0,
             expected: 0x1.2885f71a0531dp+5, gradInput: -0x1.e4670872532a6p-1, gradInputScale: 0x1.e4670872532a6p-1, gradTarget: 0x1.71694e02f1607p+5, gradTargetScale: 0x1.71694e02f1607p+5),
    ]
}

/* The generator that printed `cases` (python3 gen.py):

    # Generates exact (200-bit mpmath) Double references for MPMathReferenceTests.swift.
    import random
    from mpmath import mp, mpf, log, log1p, exp
    mp.prec = 200
    rnd = random.Random(20261129)
    def sp(x): return log1p(exp(x)) if x < 0 else x + log1p(exp(-x))
    def sig(x): return 1 / (1 + exp(-x))
    def h(v): return float(v).hex()
    def prob():
        k = rnd.randrange(5)
        if k == 0: return rnd.choice([0.0, 1.0])
        if k == 1: return 10 ** -rnd.uniform(0, 300)
        if k == 2: return 1 - 10 ** -rnd.uniform(1, 16)
        return rnd.random()
    rows = []
    for i in range(40):
        x, y, w, g = prob(), prob(), rnd.choice([1.0, rnd.uniform(0, 4)]), rnd.uniform(-3, 3)
        X, Y, W, G = mpf(x), mpf(y), mpf(w), mpf(g)
        a = max(log1p(-X), -100) if X < 1 else mpf(-100)
        b = max(log(X), -100) if X > 0 else mpf(-100)
        loss = ((Y - 1) * a - Y * b) * W
        d = max((1 - X) * X, mpf(9.999999960041972e-13))  # PyTorch's float EPSILON, widened
        gi = G * (X - Y) / d * W
        gis = max(abs(X), abs(Y)) / d * abs(G * W)
        if 0 < x < 1:
            gt = -(log(X) - log1p(-X)) * G * W
            gts = max(abs(log(X)), abs(log1p(-X))) * abs(G * W)
        else:
            gt = gts = None
        rows.append(("bce", x, y, None, w, g, loss, gi, gis, gt, gts))
    for i in range(40):
        k = rnd.randrange(4)
        x = [rnd.uniform(-50, 50), rnd.uniform(-1, 1) * 10 ** -rnd.uniform(0, 20), rnd.choice([-1, 1]) * rnd.uniform(50, 700), rnd.uniform(-5, 5)][k]
        y = prob(); w = rnd.choice([1.0, rnd.uniform(0, 4)]); g = rnd.uniform(-3, 3)
        p = rnd.choice([None, rnd.uniform(0, 5), 1.0])
        X, Y, W, G = mpf(x), mpf(y), mpf(w), mpf(g)
        P = mpf(1) if p is None else mpf(p)
        loss = ((1 - Y) * sp(X) + P * Y * sp(-X)) * W
        A, B = (1 - Y) * sig(X), P * Y * sig(-X)
        gi = (A - B) * G * W
        gis = max(abs(A), abs(B)) * abs(G * W)
        if p is None:
            gt, gts = -X * G * W, abs(X * G * W)
        else:
            gt = (P * sp(-X) - sp(X)) * G * W
            gts = max(abs(sp(X)), abs(P * sp(-X))) * abs(G * W)
        rows.append(("logits", x, y, p, w, g, loss, gi, gis, gt, gts))
    print("    static let cases: [Case] = [")
    for r in rows:
        kind, x, y, p, w, g, loss, gi, gis, gt, gts = r
        pp = "nil" if p is None else h(p)
        gtv = "nil" if gt is None else h(gt)
        gtsv = "nil" if gts is None else h(gts)
        print(f"        Case(loss: .{kind}, x: {h(x)}, y: {h(y)}, p: {pp}, w: {h(w)}, g: {h(g)},")
        print(f"             expected: {h(loss)}, gradInput: {h(gi)}, gradInputScale: {h(gis)}, gradTarget: {gtv}, gradTargetScale: {gtsv}),")
    print("    ]")
*/
