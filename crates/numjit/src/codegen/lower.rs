//! Owns lowering: the emission of one typed program, node by node, into the kernel's loops
//! (scalar and vector, hoisted per call and per row), with casts, complex pairs and calls out.
//! Must not touch threads, raw user memory or the AST; the loop skeleton and module are
//! `codegen`'s.

use super::*;

impl<'a, 'b> Lower<'a, 'b> {
    pub(super) fn new(
        program: &'a Program,
        layout: &'a [Access],
        fb: FunctionBuilder<'b>,
        ptr: Type,
        call_conv: CallConv,
        frontend: TargetFrontendConfig,
        native: Option<(super::rows::Plan, FuncRef)>,
    ) -> Self {
        let levels = levels(program, layout);
        let count = program.nodes.len();
        let mut splat = vec![false; count];
        for (id, node) in program.nodes.iter().enumerate() {
            if levels[id] == Level::Element {
                for &a in &node.args {
                    splat[a] |= levels[a] != Level::Element;
                }
            }
        }
        splat[program.root] |= levels[program.root] != Level::Element;
        Lower {
            program,
            layout,
            fb,
            ptr,
            call_conv,
            frontend,
            levels,
            values: vec![None; count],
            vvalues: vec![None; count],
            lanes: vec![None; count],
            cvalues: vec![None; count],
            width: vector_width(program),
            data: Vec::new(),
            splat,
            native,
        }
    }

    /// Emits the kernel; returns the constant data its code points to.
    pub(super) fn lower(mut self) -> Vec<Box<[u8]>> {
        let nops = self.layout.len();
        let vector = self.vectorize();
        let entry = self.fb.create_block();
        self.fb.append_block_params_for_function_params(entry);
        self.fb.switch_to_block(entry);
        self.fb.seal_block(entry);
        let params = self.fb.block_params(entry).to_vec();
        let (ptrs, outer, inner, m, n) = (params[0], params[1], params[2], params[3], params[4]);
        let flags = MemFlagsData::trusted();

        // Per operand: base pointer, outer stride, inner stride (runtime values).
        let mut base = Vec::with_capacity(nops);
        let mut ostride = Vec::with_capacity(nops);
        let mut istride = Vec::with_capacity(nops);
        for k in 0..nops {
            let off = (k * 8) as i32;
            base.push(self.fb.ins().load(self.ptr, flags, ptrs, off));
            ostride.push(self.fb.ins().load(self.ptr, flags, outer, off));
            istride.push(self.fb.ins().load(self.ptr, flags, inner, off));
        }

        // Hoisted: everything computed once per call.
        self.load_inputs(Access::Scalar, &base);
        self.emit_level(Level::Call);
        // A block routine runs every row itself: one call, no loop here.
        if self.native.as_ref().is_some_and(|(p, _)| p.block) {
            self.native_block(m, n, &base, &ostride, &istride);
            self.fb.ins().return_(&[]);
            self.fb.finalize(self.frontend);
            return self.data;
        }
        if vector {
            self.splat_level(Level::Call);
        }

        let row_var = self.fb.declare_var(types::I64);
        let zero = self.fb.ins().iconst(types::I64, 0);
        self.fb.def_var(row_var, zero);
        let row_ptr = self.pointer_vars(&base);

        let row_head = self.fb.create_block();
        let row_body = self.fb.create_block();
        let inner_head = self.fb.create_block();
        let inner_body = self.fb.create_block();
        let row_end = self.fb.create_block();
        let exit = self.fb.create_block();

        self.fb.ins().jump(row_head, &[]);
        self.fb.switch_to_block(row_head);
        let r = self.fb.use_var(row_var);
        let more_rows = self.fb.ins().icmp(IntCC::SignedLessThan, r, m);
        self.fb.ins().brif(more_rows, row_body, &[], exit, &[]);

        // Row body: per-row values, then the vector loop (if any) and the scalar loop.
        self.fb.switch_to_block(row_body);
        self.fb.seal_block(row_body);
        let rp: Vec<Value> = row_ptr.iter().map(|&v| self.fb.use_var(v)).collect();
        self.load_inputs(Access::Row, &rp);
        self.emit_level(Level::Row);
        if vector {
            self.splat_level(Level::Row);
        }
        let i_var = self.fb.declare_var(types::I64);
        self.fb.def_var(i_var, zero);
        let elem_ptr = self.pointer_vars(&rp);
        // Where the scalar loop stops: the row's end, or after the routine stopped early, the
        // end of the vector it left.
        let limit_var = self.fb.declare_var(types::I64);
        self.fb.def_var(limit_var, n);
        // The row routine computes the whole row: no other loop is emitted, unless it may
        // stop early (a `%` it cannot compute exactly, an AVX2 row with strided inputs); then
        // the scalar loop computes the vector it left and the routine goes on from there.
        let mut resume = None;
        let native_only = match self.native.as_ref().map(|(p, _)| p.partial) {
            Some(partial) => {
                if partial {
                    let call = self.fb.create_block();
                    self.fb.ins().jump(call, &[]);
                    self.fb.switch_to_block(call);
                    resume = Some(call);
                }
                self.native_call(n, (i_var, limit_var), &rp, &elem_ptr, &istride, row_end);
                !partial
            }
            None => false,
        };
        if !native_only {
            if vector && resume.is_none() {
                // After the row routine stops early (rare values, strided rows) the inline
                // code suffices: no tile stages to compile.
                let tiles = if self.native.is_some() {
                    None
                } else {
                    self.tile_plan()
                };
                if let Some(plan) = tiles {
                    self.tile_loop(&plan, n, i_var, &rp, &elem_ptr, &istride);
                }
                self.vector_loop(n, i_var, &rp, &elem_ptr, &istride, inner_head);
            } else {
                self.fb.ins().jump(inner_head, &[]);
            }

            // The scalar loop: the whole row, or what the vector loop (or the routine) left.
            self.fb.switch_to_block(inner_head);
            let i = self.fb.use_var(i_var);
            let limit = self.fb.use_var(limit_var);
            let more = self.fb.ins().icmp(IntCC::SignedLessThan, i, limit);
            let after = match resume {
                Some(call) => {
                    // Past the vector the routine left: back to the routine, or the row is done.
                    let after = self.fb.create_block();
                    self.fb.ins().brif(more, inner_body, &[], after, &[]);
                    self.fb.switch_to_block(after);
                    self.fb.seal_block(after);
                    let i = self.fb.use_var(i_var);
                    let left = self.fb.ins().icmp(IntCC::SignedLessThan, i, n);
                    self.fb.ins().brif(left, call, &[], row_end, &[]);
                    self.fb.seal_block(call);
                    None
                }
                None => Some(row_end),
            };
            if let Some(after) = after {
                self.fb.ins().brif(more, inner_body, &[], after, &[]);
            }

            self.fb.switch_to_block(inner_body);
            self.fb.seal_block(inner_body);
            let ep: Vec<Value> = elem_ptr.iter().map(|&v| self.fb.use_var(v)).collect();
            self.load_inputs(Access::Contiguous, &ep);
            self.load_inputs(Access::Strided, &ep);
            self.emit_level(Level::Element);
            let root = self.program.root;
            match self.cvalues[root] {
                Some((re, im)) => {
                    self.fb.ins().store(flags, re, ep[0], 0);
                    self.fb.ins().store(flags, im, ep[0], 8);
                }
                None => {
                    let result = self.value(root);
                    self.fb.ins().store(flags, result, ep[0], 0);
                }
            }
            for k in 0..nops {
                let step = match self.layout[k] {
                    Access::Contiguous => {
                        let size = self.operand_size(k);
                        Some(self.fb.ins().iconst(self.ptr, size as i64))
                    }
                    Access::Strided => Some(istride[k]),
                    _ => None,
                };
                if let Some(step) = step {
                    let next = self.fb.ins().iadd(ep[k], step);
                    self.fb.def_var(elem_ptr[k], next);
                }
            }
            let i1 = self.fb.ins().iadd_imm_s(i, 1);
            self.fb.def_var(i_var, i1);
            self.fb.ins().jump(inner_head, &[]);
            self.fb.seal_block(inner_head);
        }

        self.fb.switch_to_block(row_end);
        self.fb.seal_block(row_end);
        for k in 0..nops {
            if self.layout[k] != Access::Scalar {
                let next = self.fb.ins().iadd(rp[k], ostride[k]);
                self.fb.def_var(row_ptr[k], next);
            }
        }
        let r1 = self.fb.ins().iadd_imm_s(r, 1);
        self.fb.def_var(row_var, r1);
        self.fb.ins().jump(row_head, &[]);
        self.fb.seal_block(row_head);

        self.fb.switch_to_block(exit);
        self.fb.seal_block(exit);
        self.fb.ins().return_(&[]);
        self.fb.finalize(self.frontend);
        self.data
    }

    /// Whether this layout gets a vector loop: the kernel has a vector width and its output
    /// advances along the row (contiguous operands are loaded and stored as whole vectors,
    /// strided ones lane by lane).
    fn vectorize(&self) -> bool {
        self.width != 0 && matches!(self.layout[0], Access::Contiguous | Access::Strided)
    }

    /// Bytes per element of operand `k` (the output first).
    fn operand_size(&self, k: usize) -> usize {
        if k == 0 {
            self.program.dtype().size()
        } else {
            self.program.inputs[k - 1].dtype.size()
        }
    }

    /// How many vectors one iteration of the vector loop computes.
    fn unroll(&self) -> usize {
        let math = self.program.nodes.iter().any(|n| match n.op {
            Op::Call(f) => crate::codegen::vmath::has_kernel(f),
            Op::Pow => n.dtype.is_float(),
            _ => false,
        });
        if math {
            UNROLL_MATH
        } else {
            UNROLL
        }
    }

    /// Emits the vector loop of a row, from the current block: while `LANES * unroll` elements
    /// remain, `unroll` copies of the element computation on vectors; then sets `i_var` and the
    /// element pointers past what it did and jumps to `tail` (the scalar loop). Inside the loop
    /// every contiguous operand is addressed as its row base `rp[k]` plus the one index scaled
    /// by its element size, which x86-64 folds into the load's addressing mode, instead of
    /// advancing a pointer per operand. A strided operand (byte stride `istride[k]`) is read
    /// or written lane by lane through its element pointer, which the loop advances.
    fn vector_loop(
        &mut self,
        n: Value,
        i_var: Variable,
        rp: &[Value],
        elem_ptr: &[Variable],
        istride: &[Value],
        tail: Block,
    ) {
        let unroll = self.unroll();
        let lanes = self.width;
        let (head, done, i, end) = self.while_remaining(n, i_var, lanes * unroll);
        let ep = self.element_addresses(i, rp);
        // The current element pointer of each strided operand.
        let mut sp = self.strided_pointers(elem_ptr);
        for copy in 0..unroll {
            for id in 0..self.program.nodes.len() {
                if self.levels[id] == Level::Element {
                    self.vvalues[id] = None;
                    self.lanes[id] = None;
                }
            }
            for (k, &p) in ep.iter().enumerate().skip(1) {
                match (self.layout[k], sp[k]) {
                    (Access::Contiguous, _) => {
                        let offset = (copy * lanes * self.operand_size(k)) as i32;
                        self.load_input_vector(k - 1, p, offset);
                    }
                    (Access::Strided, Some(p)) => {
                        sp[k] = Some(self.load_input_strided(k - 1, p, istride[k]));
                    }
                    _ => {}
                }
            }
            for id in 0..self.program.nodes.len() {
                if self.levels[id] == Level::Element && self.vvalues[id].is_none() {
                    let v = self.emit_vector(id);
                    self.vvalues[id] = Some(v);
                }
            }
            match sp[0] {
                Some(p) => sp[0] = Some(self.store_strided(p, istride[0])),
                None => {
                    let result = self.vvalue(self.program.root);
                    let offset = (copy * lanes * self.operand_size(0)) as i32;
                    self.store_vector(result, ep[0], offset);
                }
            }
        }
        for (k, p) in sp.iter().enumerate() {
            if let Some(p) = *p {
                self.fb.def_var(elem_ptr[k], p);
            }
        }
        self.fb.def_var(i_var, end);
        self.fb.ins().jump(head, &[]);
        self.fb.seal_block(head);

        // Leaving: the scalar loop continues from element `i` through its own pointers.
        self.fb.switch_to_block(done);
        self.fb.seal_block(done);
        let ep = self.element_addresses(i, rp);
        for (k, &p) in ep.iter().enumerate() {
            if self.layout[k] == Access::Contiguous {
                self.fb.def_var(elem_ptr[k], p);
            }
        }
        self.fb.ins().jump(tail, &[]);
    }

    /// The row routine's two argument tables on the stack: the operands' pointers `ep` (in
    /// the plan's order) and the plan's scalar slots, with `extra` slots more for the caller
    /// to fill. Returns the pointer table's address, the scalar table and its address.
    fn routine_slots(
        &mut self,
        plan: &super::rows::Plan,
        ep: &[Value],
        extra: usize,
        istride: &[Value],
    ) -> (Value, cranelift_codegen::ir::StackSlot, Value) {
        let slot = |me: &mut Self, count: usize| {
            let slot = me.fb.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                (count.max(1) * 8) as u32,
                3,
            ));
            (slot, me.fb.ins().stack_addr(me.ptr, slot, 0))
        };
        let (pointers, pointers_at) = slot(self, plan.operands.len());
        let (scalars, scalars_at) = slot(self, plan.slots.len() + extra);
        for (j, &k) in plan.operands.iter().enumerate() {
            self.fb
                .ins()
                .stack_store(self.ptr, ep[k], pointers, (j * 8) as i32);
        }
        for (j, s) in plan.slots.iter().enumerate() {
            let v = match *s {
                // A widened float32 routine computes in float64: the value widened exactly.
                super::rows::Slot::Node(id) if plan.widened => {
                    let v = self.value(id);
                    self.fb.ins().fpromote(types::F64, v)
                }
                super::rows::Slot::Node(id) => self.value(id),
                super::rows::Slot::Bits(bits) => self.fb.ins().iconst(types::I64, bits as i64),
                super::rows::Slot::Step(k) => {
                    self.fb.ins().imul_imm_s(istride[k], plan.lanes as i64)
                }
            };
            self.fb
                .ins()
                .stack_store(self.ptr, v, scalars, (j * 8) as i32);
        }
        (pointers_at, scalars, scalars_at)
    }

    /// Emits the one call of a block routine (`rows::Plan::block`) on all `m` rows of `n`
    /// elements: the operands' row-0 pointers `base`, the control slots (plain stores, the
    /// mask of a row's last partial vector), the row count and the outer strides.
    fn native_block(
        &mut self,
        m: Value,
        n: Value,
        base: &[Value],
        ostride: &[Value],
        istride: &[Value],
    ) {
        let (plan, routine) = self.native.clone().expect("a native plan");
        let control = super::rows::CONTROL_SLOTS;
        let extra = control + 1 + plan.operands.len();
        let (pointers_at, scalars, scalars_at) = self.routine_slots(&plan, base, extra, istride);
        let count = self.fb.ins().band_imm_s(n, !(plan.lanes as i64 - 1));
        let rest = self.fb.ins().isub(n, count);
        let one = self.fb.ins().iconst(types::I64, 1);
        let rest_bit = self.fb.ins().ishl(one, rest);
        let rest_mask = self.fb.ins().iadd_imm_s(rest_bit, -1);
        let plain = self.fb.ins().iconst(types::I64, -1);
        let zero = self.fb.ins().iconst(types::I64, 0);
        let strides = plan.operands.iter().map(|&k| ostride[k]);
        let values: Vec<Value> = [plain, zero, zero, rest_mask, m]
            .into_iter()
            .chain(strides)
            .collect();
        for (j, v) in values.into_iter().enumerate() {
            let at = (plan.slots.len() + j) * 8;
            self.fb.ins().stack_store(self.ptr, v, scalars, at as i32);
        }
        self.fb
            .ins()
            .call(routine, &[pointers_at, scalars_at, count]);
    }

    /// Emits the call of the row routine (`rows`) on the row from element `i_var`
    /// on (its whole 512-bit vectors, then the rest under a mask), then moves `i_var` and the
    /// element pointers to the row's end (the vector and scalar loops find nothing left).
    /// `istride` holds each operand's inner stride in bytes (for strided inputs' gathers).
    fn native_call(
        &mut self,
        n: Value,
        (i_var, limit_var): (Variable, Variable),
        rp: &[Value],
        elem_ptr: &[Variable],
        istride: &[Value],
        row_end: Block,
    ) {
        let (plan, routine) = self.native.clone().expect("a native plan");
        let control = super::rows::CONTROL_SLOTS;
        let lane_slots = super::rows::LANE_SLOTS;
        let i = self.fb.use_var(i_var);
        let mut ep = self.element_addresses(i, rp);
        // Strided operands at element `i` too (the routine resumes mid-row after a stop).
        for (k, p) in ep.iter_mut().enumerate() {
            if self.layout[k] == Access::Strided {
                let off = self.fb.ins().imul(i, istride[k]);
                *p = self.fb.ins().iadd(*p, off);
            }
        }
        let extra = control + lane_slots * plan.strided.len();
        let (pointers_at, scalars, scalars_at) = self.routine_slots(&plan, &ep, extra, istride);
        // Streaming stores when `codegen::stream_stores` asked for them and the output is
        // element-aligned: the bytes to its next 64-byte boundary (else −1), the mask of the
        // elements before it and of the rest of a vector.
        let lanes = plan.lanes as i64;
        let size = 64 / lanes;
        let flag_at = self
            .fb
            .ins()
            .iconst(self.ptr, &super::rows::STREAM as *const _ as i64);
        let flag = self
            .fb
            .ins()
            .load(types::I8, MemFlagsData::trusted(), flag_at, 0);
        let on = self.fb.ins().icmp_imm_s(IntCC::NotEqual, flag, 0);
        let odd = self.fb.ins().band_imm_s(ep[0], size - 1);
        let aligned = self.fb.ins().icmp_imm_s(IntCC::Equal, odd, 0);
        let stream = self.fb.ins().band(on, aligned);
        let back = self.fb.ins().ineg(ep[0]);
        let head = self.fb.ins().band_imm_s(back, 63);
        let plain = self.fb.ins().iconst(types::I64, -1);
        let head_or_plain = match plan.strided.is_empty() && !plan.partial {
            true => self.fb.ins().select(stream, head, plain),
            // Gathering rows, and rows that may stop early, store plainly.
            false => plain,
        };
        let elements = self.fb.ins().ushr_imm_s(head, size.trailing_zeros() as i64);
        let one = self.fb.ins().iconst(types::I64, 1);
        let bit = self.fb.ins().ishl(one, elements);
        let head_mask = self.fb.ins().iadd_imm_s(bit, -1);
        let tail_mask = self.fb.ins().bxor_imm_s(head_mask, (1 << lanes) - 1);
        // The routine does the whole row: its whole vectors, then the rest under a mask.
        let left = self.fb.ins().isub(n, i);
        let count = self.fb.ins().band_imm_s(left, !(plan.lanes as i64 - 1));
        let rest = self.fb.ins().isub(left, count);
        let rest_bit = self.fb.ins().ishl(one, rest);
        let rest_mask = self.fb.ins().iadd_imm_s(rest_bit, -1);
        let base = plan.slots.len();
        for (j, v) in [head_or_plain, head_mask, tail_mask, rest_mask]
            .into_iter()
            .enumerate()
        {
            self.fb
                .ins()
                .stack_store(self.ptr, v, scalars, ((base + j) * 8) as i32);
        }
        // Each strided input's byte offset of lane 0, 1, ...: lane × inner stride.
        for (i, &k) in plan.strided.iter().enumerate() {
            for lane in 0..lane_slots {
                let v = self.fb.ins().imul_imm_s(istride[k], lane as i64);
                let at = plan.slots.len() + control + lane_slots * i + lane;
                self.fb
                    .ins()
                    .stack_store(self.ptr, v, scalars, (at * 8) as i32);
            }
        }
        let call = self
            .fb
            .ins()
            .call(routine, &[pointers_at, scalars_at, count]);
        let stopped = self.fb.inst_results(call)[0];
        if plan.partial {
            // −1: the row is done; else the routine stopped at element `i + stopped`, from
            // which the scalar loop computes one vector's elements (to `limit_var`; pointers
            // moved there) before the routine is called again.
            let more = self.fb.create_block();
            let finished = self.fb.ins().icmp_imm_s(IntCC::SignedLessThan, stopped, 0);
            self.fb.ins().brif(finished, row_end, &[], more, &[]);
            self.fb.switch_to_block(more);
            self.fb.seal_block(more);
            let at = self.fb.ins().iadd(i, stopped);
            self.fb.def_var(i_var, at);
            let end = self.fb.ins().iadd_imm_s(at, plan.lanes as i64);
            let limit = self.fb.ins().smin(end, n);
            self.fb.def_var(limit_var, limit);
            for (k, &p) in ep.iter().enumerate() {
                let step = match self.layout[k] {
                    Access::Contiguous => {
                        let size = self.operand_size(k) as i64;
                        self.fb.ins().imul_imm_s(stopped, size)
                    }
                    Access::Strided => self.fb.ins().imul(stopped, istride[k]),
                    _ => continue,
                };
                let p = self.fb.ins().iadd(p, step);
                self.fb.def_var(elem_ptr[k], p);
            }
            return;
        }
        self.fb.def_var(i_var, n);
        let count = left;
        for &k in &plan.operands {
            let bytes = if plan.strided.contains(&k) {
                self.fb.ins().imul(count, istride[k])
            } else {
                let size = self.operand_size(k) as i64;
                self.fb.ins().imul_imm_s(count, size)
            };
            let p = self.fb.ins().iadd(ep[k], bytes);
            self.fb.def_var(elem_ptr[k], p);
        }
        self.fb.ins().jump(row_end, &[]);
    }

    /// The tiles of this kernel, if its vector loop computes an operation that has a
    /// wide-vector tile routine (`codegen::wide`) on this CPU: a math function, a float `%`
    /// or a constant power of magnitude 8 or more, in a float64 (2-lane) or float32 (4-lane)
    /// kernel.
    fn tile_plan(&self) -> Option<TilePlan> {
        let dt = match self.width {
            2 => DType::Float64,
            4 => DType::Float32,
            _ => return None,
        };
        let nodes = &self.program.nodes;
        let mut depth = vec![0usize; nodes.len()];
        let mut math = Vec::new();
        let mut buffers = 0;
        for (id, node) in nodes.iter().enumerate() {
            if self.levels[id] != Level::Element {
                continue;
            }
            let below = node.args.iter().map(|&a| depth[a]).max().unwrap_or(0);
            // A float32 value in a 2-lane kernel lives in a float64 lane: the float64
            // routine, rounded to float32 where the tile loop reads the result.
            let as_lanes = if self.width == 2 && node.dtype == DType::Float32 {
                DType::Float64
            } else {
                node.dtype
            };
            let routine = match node.op {
                _ if as_lanes != dt => None,
                Op::Call(f) => super::wide::tile_fn(f, dt).map(|r| (r, None)),
                // Small powers are a few fmas inline: tiling them costs more than it saves
                // (`a**2 + (b+1)**-2.5` ran 2.6 ns/element inline, 3.0 tiled; `(a+1)**50` 2.9
                // inline, 2.0 tiled).
                Op::PowConst(h) if h.unsigned_abs() >= 16 => {
                    super::wide::op_tile_fn(node.op, dt).map(|r| (r, Some(h)))
                }
                Op::Mod => super::wide::op_tile_fn(node.op, dt).map(|r| (r, None)),
                _ => None,
            };
            // Each argument takes a tile buffer on the kernel's stack: past `MAX_TILE_BUFFERS`
            // the remaining calls are computed inline instead (a bounded frame, whatever the
            // expression's size).
            depth[id] = match routine {
                Some((r, imm)) if buffers + node.args.len() <= MAX_TILE_BUFFERS => {
                    buffers += node.args.len();
                    math.push((id, r, imm));
                    below + 1
                }
                _ => below,
            };
        }
        let stages = depth[self.program.root];
        (!math.is_empty() && stages > 0).then_some(TilePlan {
            depth,
            math,
            stages,
        })
    }

    /// Emits the tile loop of a row, from the current block: while a whole tile of `TILE`
    /// elements remains, the tile is computed in stages. Stage `s` runs a vector loop over the
    /// tile that computes the arguments of the functions at depth `s + 1` (the functions at
    /// depth `s` or less read from their tile buffers) and stores them into those functions'
    /// buffers; then each of those functions' wide routine maps its buffer in place. The last
    /// stage computes the result and stores it. Other values are recomputed where a stage
    /// needs them (loads from L1 and arithmetic, cheaper than spilling). Leaves the builder
    /// in a block from which the vector loop continues at element `i_var`.
    fn tile_loop(
        &mut self,
        plan: &TilePlan,
        n: Value,
        i_var: Variable,
        rp: &[Value],
        elem_ptr: &[Variable],
        istride: &[Value],
    ) {
        let lanes = self.width;
        let (head, done, i, end) = self.while_remaining(n, i_var, TILE);
        // The element pointer of each strided operand at the tile's start.
        let sp = self.strided_pointers(elem_ptr);
        // One buffer per argument of each tiled function (the first also takes the result).
        let slot = |me: &mut Self| {
            let slot = me.fb.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                (TILE * 8) as u32,
                4,
            ));
            me.fb.ins().stack_addr(me.ptr, slot, 0)
        };
        let mut bufs: Vec<Vec<Value>> = Vec::with_capacity(plan.math.len());
        for &(m, _, _) in &plan.math {
            let arity = self.program.nodes[m].args.len();
            bufs.push((0..arity).map(|_| slot(self)).collect());
        }
        for stage in 0..=plan.stages {
            // What this stage stores: the arguments of the functions at depth `stage + 1`,
            // or the result.
            let targets: Vec<NodeId> = if stage < plan.stages {
                plan.math
                    .iter()
                    .filter(|&&(m, _, _)| plan.depth[m] == stage + 1)
                    .flat_map(|&(m, _, _)| self.program.nodes[m].args.iter().copied())
                    .collect()
            } else {
                vec![self.program.root]
            };
            let needed = self.needed(plan, stage, &targets);
            let jh = self.fb.create_block();
            let jb = self.fb.create_block();
            let jd = self.fb.create_block();
            let j_var = self.fb.declare_var(types::I64);
            let zero = self.fb.ins().iconst(types::I64, 0);
            self.fb.def_var(j_var, zero);
            self.fb.ins().jump(jh, &[]);
            self.fb.switch_to_block(jh);
            let j = self.fb.use_var(j_var);
            let more = self
                .fb
                .ins()
                .icmp_imm_s(IntCC::SignedLessThan, j, TILE as i64);
            self.fb.ins().brif(more, jb, &[], jd, &[]);

            self.fb.switch_to_block(jb);
            self.fb.seal_block(jb);
            for id in 0..self.program.nodes.len() {
                if self.levels[id] == Level::Element {
                    self.vvalues[id] = None;
                    self.lanes[id] = None;
                }
            }
            let idx = self.fb.ins().iadd(i, j);
            // Buffers hold the kernel's float type: 8 bytes a value (float64) or 4 (float32).
            let (shift, vty) = if lanes == 4 {
                (2, types::F32X4)
            } else {
                (3, types::F64X2)
            };
            let offset = self.fb.ins().ishl_imm_u(j, shift);
            for (id, node) in self.program.nodes.iter().enumerate() {
                let Op::Input(k) = node.op else { continue };
                if !needed[id] {
                    continue;
                }
                match (self.layout[k + 1], sp[k + 1]) {
                    (Access::Contiguous, _) => {
                        let size = self.operand_size(k + 1) as i64;
                        let off = self.fb.ins().imul_imm_s(idx, size);
                        let p = self.fb.ins().iadd(rp[k + 1], off);
                        self.load_input_vector(k, p, 0);
                    }
                    (Access::Strided, Some(base)) => {
                        let off = self.fb.ins().imul(j, istride[k + 1]);
                        let p = self.fb.ins().iadd(base, off);
                        self.load_input_strided(k, p, istride[k + 1]);
                    }
                    _ => {}
                }
            }
            for (t, &(m, _, _)) in plan.math.iter().enumerate() {
                if plan.depth[m] <= stage {
                    let p = self.fb.ins().iadd(bufs[t][0], offset);
                    let v = self.fb.ins().load(vty, vector_flags(), p, 0);
                    let v = if lanes == 2 && self.program.nodes[m].dtype == DType::Float32 {
                        // A float32 result in a float64 lane: rounded as `emit_op` rounds.
                        let narrow = self.fb.ins().fvdemote(v);
                        self.fb.ins().fvpromote_low(narrow)
                    } else {
                        v
                    };
                    self.vvalues[m] = Some(v);
                }
            }
            for (id, &need) in needed.iter().enumerate() {
                if need && self.levels[id] == Level::Element && self.vvalues[id].is_none() {
                    let v = self.emit_vector(id);
                    self.vvalues[id] = Some(v);
                }
            }
            if stage < plan.stages {
                for (t, &(m, _, _)) in plan.math.iter().enumerate() {
                    if plan.depth[m] == stage + 1 {
                        let args = self.program.nodes[m].args.clone();
                        for (a, &buf) in args.iter().zip(&bufs[t]) {
                            let v = self.vvalue(*a);
                            let p = self.fb.ins().iadd(buf, offset);
                            self.fb.ins().store(vector_flags(), v, p, 0);
                        }
                    }
                }
            } else {
                match sp[0] {
                    Some(base) => {
                        let off = self.fb.ins().imul(j, istride[0]);
                        let p = self.fb.ins().iadd(base, off);
                        self.store_strided(p, istride[0]);
                    }
                    None => {
                        let size = self.operand_size(0) as i64;
                        let off = self.fb.ins().imul_imm_s(idx, size);
                        let p = self.fb.ins().iadd(rp[0], off);
                        let result = self.vvalue(self.program.root);
                        self.store_vector(result, p, 0);
                    }
                }
            }
            let j1 = self.fb.ins().iadd_imm_s(j, lanes as i64);
            self.fb.def_var(j_var, j1);
            self.fb.ins().jump(jh, &[]);
            self.fb.seal_block(jh);

            self.fb.switch_to_block(jd);
            self.fb.seal_block(jd);
            if stage < plan.stages {
                for (t, &(m, routine, imm)) in plan.math.iter().enumerate() {
                    if plan.depth[m] == stage + 1 {
                        let count = self.fb.ins().iconst(types::I64, TILE as i64);
                        let mut args = bufs[t].clone();
                        args.push(count);
                        if let Some(h) = imm {
                            args.push(self.fb.ins().iconst(types::I64, h as i64));
                        }
                        self.call_tile(routine, &args);
                    }
                }
            }
        }
        for (k, p) in sp.iter().enumerate() {
            if let Some(p) = *p {
                let step = self.fb.ins().imul_imm_s(istride[k], TILE as i64);
                let next = self.fb.ins().iadd(p, step);
                self.fb.def_var(elem_ptr[k], next);
            }
        }
        self.fb.def_var(i_var, end);
        self.fb.ins().jump(head, &[]);
        self.fb.seal_block(head);

        self.fb.switch_to_block(done);
        self.fb.seal_block(done);
    }

    /// The element nodes stage `stage` of `plan` computes to produce `targets`: their
    /// operands, recursively, down to inputs and to the tiled functions of depth `stage` or
    /// less (read from their buffers).
    fn needed(&self, plan: &TilePlan, stage: usize, targets: &[NodeId]) -> Vec<bool> {
        let mut needed = vec![false; self.program.nodes.len()];
        let mut stack: Vec<NodeId> = targets.to_vec();
        while let Some(id) = stack.pop() {
            if needed[id] || self.levels[id] != Level::Element {
                continue;
            }
            needed[id] = true;
            let tiled = plan.math.iter().any(|&(m, _, _)| m == id);
            if tiled && plan.depth[id] <= stage {
                continue;
            }
            stack.extend(self.program.nodes[id].args.iter().copied());
        }
        needed
    }

    /// Calls the tile routine at `routine` with `args`: its buffers, the value count, and
    /// an immediate (`PowConst`'s exponent) if any.
    fn call_tile(&mut self, routine: *const u8, args: &[Value]) {
        let mut sig = Signature::new(self.call_conv);
        for &a in args {
            let ty = self.fb.func.dfg.value_type(a);
            sig.params.push(AbiParam::new(ty));
        }
        let sig = self.fb.import_signature(sig);
        let addr = self.fb.ins().iconst(self.ptr, routine as usize as i64);
        self.fb.ins().call_indirect(sig, addr, args);
    }

    /// Opens a loop that runs while `step` elements remain from element `i_var` of `n`:
    /// jumps from the current block to a new head, which branches to a new body (left as
    /// the current block, sealed) or to `done`. Returns (head, done, i, i + step); the caller
    /// ends the body by setting `i_var`, jumping back to `head` and sealing it.
    fn while_remaining(
        &mut self,
        n: Value,
        i_var: Variable,
        step: usize,
    ) -> (Block, Block, Value, Value) {
        let head = self.fb.create_block();
        let body = self.fb.create_block();
        let done = self.fb.create_block();
        self.fb.ins().jump(head, &[]);
        self.fb.switch_to_block(head);
        let i = self.fb.use_var(i_var);
        let end = self.fb.ins().iadd_imm_s(i, step as i64);
        let more = self.fb.ins().icmp(IntCC::SignedLessThanOrEqual, end, n);
        self.fb.ins().brif(more, body, &[], done, &[]);
        self.fb.switch_to_block(body);
        self.fb.seal_block(body);
        (head, done, i, end)
    }

    /// The current element pointer of each strided operand (`None` for the others).
    fn strided_pointers(&mut self, elem_ptr: &[Variable]) -> Vec<Option<Value>> {
        (0..elem_ptr.len())
            .map(|k| (self.layout[k] == Access::Strided).then(|| self.fb.use_var(elem_ptr[k])))
            .collect()
    }

    /// The address of element `i` of every contiguous operand (others: their row base).
    fn element_addresses(&mut self, i: Value, rp: &[Value]) -> Vec<Value> {
        let mut scaled: Vec<(usize, Value)> = Vec::new();
        let mut out = Vec::with_capacity(rp.len());
        for (k, &base) in rp.iter().enumerate() {
            if self.layout[k] != Access::Contiguous {
                out.push(base);
                continue;
            }
            let size = self.operand_size(k);
            let off = match scaled.iter().find(|(s, _)| *s == size) {
                Some(&(_, v)) => v,
                None => {
                    let v = if size == 1 {
                        i
                    } else {
                        self.fb.ins().imul_imm_s(i, size as i64)
                    };
                    scaled.push((size, v));
                    v
                }
            };
            out.push(self.fb.ins().iadd(base, off));
        }
        out
    }

    /// One pointer variable per operand, starting at `init`.
    fn pointer_vars(&mut self, init: &[Value]) -> Vec<Variable> {
        init.iter()
            .map(|&p| {
                let v = self.fb.declare_var(self.ptr);
                self.fb.def_var(v, p);
                v
            })
            .collect()
    }

    /// Loads every input whose access is `access` through its pointer in `ptrs` (indexed by
    /// operand, the output first).
    fn load_inputs(&mut self, access: Access, ptrs: &[Value]) {
        for (k, &p) in ptrs.iter().enumerate().skip(1) {
            if self.layout[k] == access {
                self.load_input(k - 1, p);
            }
        }
    }

    /// Loads input `k` through `p` into every node that reads it.
    fn load_input(&mut self, k: usize, p: Value) {
        let dt = self.program.inputs[k].dtype;
        let ty = clif_type(dt);
        let flags = MemFlagsData::trusted();
        let v = if let DType::Bytes(_) = dt {
            p
        } else {
            self.fb.ins().load(ty, flags, p, 0)
        };
        let im = (dt == DType::Complex128).then(|| self.fb.ins().load(ty, flags, p, 8));
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                match im {
                    Some(im) => self.cvalues[i] = Some((v, im)),
                    None => self.values[i] = Some(v),
                }
            }
        }
    }

    /// Loads `LANES` elements of contiguous input `k` at `p + offset` as a vector into every
    /// node that reads it.
    fn load_input_vector(&mut self, k: usize, p: Value, offset: i32) {
        let flags = vector_flags();
        let width = self.width;
        let v = match self.program.inputs[k].dtype {
            DType::Bool if width == 4 => {
                // Four bytes → i32x4 [b0|b1<<8|b2<<16|b3<<24; 4] → and with the bit each lane
                // tests → equal to that bit: all ones exactly where the lane's byte is 1.
                let word = self.fb.ins().load(types::I32, flags, p, offset);
                let spread = self.fb.ins().splat(types::I32X4, word);
                let bit = self.vconst_i32x4([1, 1 << 8, 1 << 16, 1 << 24]);
                let tested = self.fb.ins().band(spread, bit);
                self.fb.ins().icmp(IntCC::Equal, tested, bit)
            }
            DType::Bool => {
                // Two bytes b0, b1 (each 0 or 1) → i32x4 [b0|b1<<8; 4] → and with the bit each
                // lane tests, [1, 1, 256, 256] → equal to that bit: both halves of a 64-bit
                // lane are all ones exactly where its byte is 1.
                let pair = self.fb.ins().uload16(types::I32, flags, p, offset);
                let spread = self.fb.ins().splat(types::I32X4, pair);
                let bit = self.vconst_i32x4([1, 1, 256, 256]);
                let tested = self.fb.ins().band(spread, bit);
                let mask = self.fb.ins().icmp(IntCC::Equal, tested, bit);
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                self.fb.ins().bitcast(types::I64X2, little, mask)
            }
            DType::Float32 if width == 2 => {
                // Two float32 values (8 bytes) into two float64 lanes.
                let pair = self.fb.ins().load(types::I64, flags, p, offset);
                let v = self.fb.ins().scalar_to_vector(types::I64X2, pair);
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                let v = self.fb.ins().bitcast(types::F32X4, little, v);
                self.fb.ins().fvpromote_low(v)
            }
            dt => self.fb.ins().load(vector_type(dt, width), flags, p, offset),
        };
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                self.vvalues[i] = Some(v);
            }
        }
    }

    /// Loads one vector of strided input `k`, lane by lane from `p` in steps of `stride`
    /// bytes, into every node that reads it (its lanes too, so lane-wise operations need no
    /// extraction); returns the pointer past the last lane.
    fn load_input_strided(&mut self, k: usize, mut p: Value, stride: Value) -> Value {
        let dt = self.program.inputs[k].dtype;
        let flags = MemFlagsData::trusted();
        let mut scalars = Vec::with_capacity(self.width);
        for _ in 0..self.width {
            scalars.push(self.fb.ins().load(clif_type(dt), flags, p, 0));
            p = self.fb.ins().iadd(p, stride);
        }
        let mut v = None;
        for (lane, &x) in scalars.iter().enumerate() {
            let x = match dt {
                DType::Bool => self.mask_of(x),
                DType::Float32 if self.width == 2 => self.fb.ins().fpromote(types::F64, x),
                _ => x,
            };
            v = Some(match v {
                None => self
                    .fb
                    .ins()
                    .scalar_to_vector(vector_type(dt, self.width), x),
                Some(v) => self.fb.ins().insertlane(v, x, lane as u8),
            });
        }
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                self.vvalues[i] = v;
                self.lanes[i] = Some(scalars.clone());
            }
        }
        p
    }

    /// Stores the result of the current unrolled copy lane by lane from `p` in steps of
    /// `stride` bytes (a strided output); returns the pointer past the last lane.
    fn store_strided(&mut self, mut p: Value, stride: Value) -> Value {
        let flags = MemFlagsData::trusted();
        for x in self.lanes_of(self.program.root) {
            self.fb.ins().store(flags, x, p, 0);
            p = self.fb.ins().iadd(p, stride);
        }
        p
    }

    /// Stores the output vector `v` to `p + offset`.
    fn store_vector(&mut self, v: Value, p: Value, offset: i32) {
        let flags = vector_flags();
        match self.program.dtype() {
            DType::Bool if self.width == 4 => {
                // The four lanes' sign bits m → bytes: bit k moves to bit 8k, (m·0x204081) &
                // 0x01010101.
                let m = self.fb.ins().vhigh_bits(types::I32, v);
                let spread = self.fb.ins().imul_imm_s(m, 0x0020_4081);
                let bytes = self.fb.ins().band_imm_s(spread, 0x0101_0101);
                self.fb.ins().store(flags, bytes, p, offset);
            }
            DType::Bool => {
                // The two lanes' sign bits m = b0 | b1<<1 → bytes b0 and b1: (m | m<<7) & 0x101.
                let m = self.fb.ins().vhigh_bits(types::I32, v);
                let shifted = self.fb.ins().ishl_imm_s(m, 7);
                let both = self.fb.ins().bor(m, shifted);
                let bytes = self.fb.ins().band_imm_s(both, 0x101);
                self.fb.ins().istore16(flags, bytes, p, offset);
            }
            DType::Float32 if self.width == 2 => {
                // Two float64 lanes holding float32 values: their 8 bytes as float32.
                let narrow = self.fb.ins().fvdemote(v);
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                let bits = self.fb.ins().bitcast(types::I64X2, little, narrow);
                let pair = self.fb.ins().extractlane(bits, 0);
                self.fb.ins().store(flags, pair, p, offset);
            }
            _ => {
                self.fb.ins().store(flags, v, p, offset);
            }
        }
    }

    /// An `i32x4` constant.
    fn vconst_i32x4(&mut self, lanes: [u32; 4]) -> Value {
        let bytes: Vec<u8> = lanes.iter().flat_map(|w| w.to_le_bytes()).collect();
        let c = self.fb.func.dfg.constants.insert(ConstantData::from(bytes));
        self.fb.ins().vconst(types::I32X4, c)
    }

    fn value(&self, id: NodeId) -> Value {
        self.values[id].expect("operands are lowered before their users")
    }

    fn vvalue(&self, id: NodeId) -> Value {
        self.vvalues[id].expect("vector operands are lowered or splatted before their users")
    }

    fn emit_level(&mut self, level: Level) {
        for id in 0..self.program.nodes.len() {
            if self.levels[id] != level || self.values[id].is_some() || self.cvalues[id].is_some() {
                continue;
            }
            if self.is_complex(id) {
                self.emit_complex(id);
            } else {
                let args: Vec<Value> = self.program.nodes[id]
                    .args
                    .iter()
                    .map(|&a| self.value(a))
                    .collect();
                let v = self
                    .emit_op(id, &args, 1)
                    .expect("every operation has a scalar lowering");
                self.values[id] = Some(v);
            }
        }
    }

    /// Splats every hoisted node of `level` that the vector loop needs.
    fn splat_level(&mut self, level: Level) {
        for id in 0..self.program.nodes.len() {
            if self.levels[id] == level && self.splat[id] {
                let x = self.value(id);
                let dt = self.program.nodes[id].dtype;
                let x = match dt {
                    DType::Bool => self.mask_of(x),
                    DType::Float32 if self.width == 2 => self.fb.ins().fpromote(types::F64, x),
                    _ => x,
                };
                let v = self.fb.ins().splat(vector_type(dt, self.width), x);
                self.vvalues[id] = Some(v);
            }
        }
    }

    /// Element node `id` in vector form: the whitelisted vector lowering if there is one,
    /// otherwise the scalar lowering once per lane.
    fn emit_vector(&mut self, id: NodeId) -> Value {
        let args: Vec<Value> = self.program.nodes[id]
            .args
            .iter()
            .map(|&a| self.vvalue(a))
            .collect();
        match self.emit_op(id, &args, self.width) {
            Some(v) => v,
            None => self.emit_lanewise(id),
        }
    }

    /// The lane-wise fallback: the scalar lowering of `id` on each lane's operands (hoisted
    /// operands as they are, element operands extracted), the results inserted into a vector.
    fn emit_lanewise(&mut self, id: NodeId) -> Value {
        let node_args = self.program.nodes[id].args.clone();
        let arg_lanes: Vec<Vec<Value>> = node_args.iter().map(|&a| self.lanes_of(a)).collect();
        let mut results = Vec::with_capacity(self.width);
        for lane in 0..self.width {
            let args: Vec<Value> = arg_lanes.iter().map(|l| l[lane]).collect();
            let r = self
                .emit_op(id, &args, 1)
                .expect("every operation has a scalar lowering");
            results.push(r);
        }
        self.lanes[id] = Some(results.clone());
        let dt = self.program.nodes[id].dtype;
        let mut v = None;
        for (lane, &r) in results.iter().enumerate() {
            let r = match dt {
                DType::Bool => self.mask_of(r),
                DType::Float32 if self.width == 2 => self.fb.ins().fpromote(types::F64, r),
                _ => r,
            };
            v = Some(match v {
                None => self
                    .fb
                    .ins()
                    .scalar_to_vector(vector_type(dt, self.width), r),
                Some(v) => self.fb.ins().insertlane(v, r, lane as u8),
            });
        }
        v.expect("a vector has lanes")
    }

    /// The scalar value of each lane of node `id` in the current unrolled copy (a bool lane as
    /// 0 or 1).
    fn lanes_of(&mut self, id: NodeId) -> Vec<Value> {
        if self.levels[id] != Level::Element {
            return vec![self.value(id); self.width];
        }
        if let Some(l) = &self.lanes[id] {
            return l.clone();
        }
        let v = self.vvalue(id);
        let dt = self.program.nodes[id].dtype;
        let mut out = Vec::with_capacity(self.width);
        for lane in 0..self.width {
            let x = self.fb.ins().extractlane(v, lane as u8);
            out.push(match dt {
                DType::Bool => self.fb.ins().icmp_imm_s(IntCC::NotEqual, x, 0),
                // A float32 value in a float64 lane (exact).
                DType::Float32 if self.width == 2 => self.fb.ins().fdemote(types::F32, x),
                _ => x,
            });
        }
        self.lanes[id] = Some(out.clone());
        out
    }

    /// The integer type of a bool mask lane: as wide as the kernel's lanes.
    fn mask_lane(&self) -> Type {
        if self.width == 4 {
            types::I32
        } else {
            types::I64
        }
    }

    /// A scalar bool (0 or 1) as a lane mask (0 or all ones).
    fn mask_of(&mut self, b: Value) -> Value {
        let lane = self.mask_lane();
        let wide = self.fb.ins().uextend(lane, b);
        self.fb.ins().ineg(wide)
    }

    /// `1/c` if node `id` is a float constant `c = ±2^k` whose reciprocal is a normal float:
    /// then `x / c` and `x · (1/c)` are the same real number, rounded once, for every `x`.
    fn exact_reciprocal(&self, id: NodeId) -> Option<f64> {
        super::exact_reciprocal(self.program, id)
    }

    /// NumPy's float64 remainder `a % b` on `F64X2` lanes, bit for bit `semantics`'
    /// `mod_f64`. Where the quotient is below 2⁵² and both operands are finite (b ≠ 0), C's
    /// `fmod` is `a − q·b` with `q = trunc(a/b)`, exact by fma (the rounded quotient may be one
    /// too large in magnitude, which leaves a remainder of the wrong sign: one more `b` fixes
    /// it); then NumPy's sign rule. Any other lane (NaN, infinities, b = 0, huge quotients)
    /// sends the pair to the scalar helper, in a cold block. `recip`: `1/b` when `b` is a
    /// constant power of two (the quotient by a multiplication, the same bits).
    fn vector_mod(&mut self, a: Value, b: Value, recip: Option<f64>) -> Value {
        let ty = types::F64X2;
        let q = match recip {
            Some(r) => {
                let r = self.fconst(DType::Float64, 2, r);
                self.fb.ins().fmul(a, r)
            }
            None => self.fb.ins().fdiv(a, b),
        };
        let q = self.fb.ins().trunc(q);
        let nq = self.fb.ins().fneg(q);
        let r = self.fb.ins().fma(nq, b, a);
        let zero = self.fconst(DType::Float64, 2, 0.0);
        // The wrong sign: r ≠ 0 and sign(r) ≠ sign(a).
        let r_neg = self.fb.ins().fcmp(FloatCC::LessThan, r, zero);
        let r_pos = self.fb.ins().fcmp(FloatCC::GreaterThan, r, zero);
        let a_neg = self.fb.ins().fcmp(FloatCC::LessThan, a, zero);
        let a_pos = self.fb.ins().fcmp(FloatCC::GreaterThan, a, zero);
        let w1 = self.fb.ins().band(r_neg, a_pos);
        let w2 = self.fb.ins().band(r_pos, a_neg);
        let wrong = self.fb.ins().bor(w1, w2);
        // Vector copysign (Cranelift has none on x86-64): the sign bit of one, the rest of
        // the other.
        let sign = self.fconst(DType::Float64, 2, -0.0);
        let step = self.fb.ins().bitselect(sign, a, b);
        let fixed = self.fb.ins().fadd(r, step);
        let m = self.select(2, wrong, fixed, r);
        // NumPy: a nonzero remainder takes the divisor's sign; a zero one is ±0 as b.
        let m_neg = self.fb.ins().fcmp(FloatCC::LessThan, m, zero);
        let m_pos = self.fb.ins().fcmp(FloatCC::GreaterThan, m, zero);
        let b_neg = self.fb.ins().fcmp(FloatCC::LessThan, b, zero);
        let b_nonneg = self.fb.ins().bnot(b_neg);
        let d1 = self.fb.ins().band(m_neg, b_nonneg);
        let d2 = self.fb.ins().band(m_pos, b_neg);
        let differ = self.fb.ins().bor(d1, d2);
        let shifted = self.fb.ins().fadd(m, b);
        let m = self.select(2, differ, shifted, m);
        let m_zero = self.fb.ins().fcmp(FloatCC::Equal, m, zero);
        let signed_zero = self.fb.ins().band(sign, b);
        let fast = self.select(2, m_zero, signed_zero, m);
        // The fast path holds where |a| < 2⁵²·|b| (false for NaN, infinite a and b = 0) and
        // |b| < inf.
        let abs_a = self.fb.ins().fabs(a);
        let abs_b = self.fb.ins().fabs(b);
        let limit = self.fconst(DType::Float64, 2, 4503599627370496.0);
        let bound = self.fb.ins().fmul(abs_b, limit);
        let small = self.fb.ins().fcmp(FloatCC::LessThan, abs_a, bound);
        let inf = self.fconst(DType::Float64, 2, f64::INFINITY);
        let finite_b = self.fb.ins().fcmp(FloatCC::LessThan, abs_b, inf);
        let ok = self.fb.ins().band(small, finite_b);
        let bad = self.fb.ins().bnot(ok);
        let slow = self.fb.create_block();
        let join = self.fb.create_block();
        let result = self.fb.append_block_param(join, ty);
        self.fb.set_cold_block(slow);
        let any = self.fb.ins().vany_true(bad);
        self.fb
            .ins()
            .brif(any, slow, &[], join, &[BlockArg::Value(fast)]);
        self.fb.seal_block(slow);
        self.fb.switch_to_block(slow);
        let mut v = None;
        for lane in 0..2u8 {
            let x = self.fb.ins().extractlane(a, lane);
            let y = self.fb.ins().extractlane(b, lane);
            let r = self.call_helper(h_mod_f64 as *const u8, &[x, y], types::F64);
            v = Some(match v {
                None => self.fb.ins().scalar_to_vector(ty, r),
                Some(v) => self.fb.ins().insertlane(v, r, lane),
            });
        }
        let v = v.expect("two lanes");
        self.fb.ins().jump(join, &[BlockArg::Value(v)]);
        self.fb.seal_block(join);
        self.fb.switch_to_block(join);
        result
    }

    fn call_helper(&mut self, addr: *const u8, args: &[Value], ty: Type) -> Value {
        let mut sig = Signature::new(self.call_conv);
        for &a in args {
            let t = self.fb.func.dfg.value_type(a);
            sig.params.push(AbiParam::new(t));
        }
        sig.returns.push(AbiParam::new(ty));
        let sigref = self.fb.import_signature(sig);
        let callee = self.fb.ins().iconst(self.ptr, addr as i64);
        let call = self.fb.ins().call_indirect(sigref, callee, args);
        self.fb.inst_results(call)[0]
    }

    fn i(&mut self) -> cranelift_frontend::FuncInstBuilder<'_, 'b> {
        self.fb.ins()
    }

    // Lane-generic building blocks: `lanes` is 1 (scalars) or the kernel's width (vectors,
    // bool as a mask).

    /// `x` splatted to `lanes` lanes (nothing when `lanes` is 1).
    fn splat(&mut self, lanes: usize, x: Value) -> Value {
        if lanes == 1 {
            return x;
        }
        let ty = self.fb.func.dfg.value_type(x);
        let vty = if ty == types::I8 {
            unreachable!("bool constants are masks in vectors")
        } else {
            ty.by(lanes as u32).expect("128-bit vector")
        };
        self.fb.ins().splat(vty, x)
    }

    /// A float constant of float dtype `dt`.
    fn fconst(&mut self, dt: DType, lanes: usize, x: f64) -> Value {
        let c = if dt == DType::Float32 {
            self.fb.ins().f32const(x as f32)
        } else {
            self.fb.ins().f64const(x)
        };
        self.splat(lanes, c)
    }

    /// An integer constant of integer dtype `dt` (wrapped to its width).
    fn iconst(&mut self, dt: DType, lanes: usize, x: i64) -> Value {
        let c = self.fb.ins().iconst(clif_type(dt), x);
        self.splat(lanes, c)
    }

    /// `x` as a constant of any real dtype `dt`.
    fn constant(&mut self, dt: DType, lanes: usize, x: Scalar) -> Value {
        match x.cast(dt) {
            Scalar::Bool(b) => self.bool_const(lanes, b),
            Scalar::Int32(i) => self.iconst(dt, lanes, i as i64),
            Scalar::Int(i) => self.iconst(dt, lanes, i),
            Scalar::Float32(v) => {
                let c = self.fb.ins().f32const(v);
                self.splat(lanes, c)
            }
            Scalar::Float(v) => self.fconst(dt, lanes, v),
            Scalar::Complex(_) => unreachable!("complex constants are pairs"),
            Scalar::Str(k, _) => {
                // A copy owned by the kernel, so the code never points into the program.
                let bytes: Box<[u8]> = self.program.strings[k as usize].clone().into();
                let addr = bytes.as_ptr() as i64;
                self.data.push(bytes);
                self.fb.ins().iconst(self.ptr, addr)
            }
        }
    }

    fn bool_const(&mut self, lanes: usize, b: bool) -> Value {
        if lanes == 1 {
            self.fb.ins().iconst(types::I8, b as i64)
        } else {
            let lane = self.mask_lane();
            let c = self.fb.ins().iconst(lane, -(b as i64));
            self.splat(lanes, c)
        }
    }

    /// Bool → integer `to` (0 or 1).
    fn bool_to_int(&mut self, to: DType, lanes: usize, b: Value) -> Value {
        if lanes == 1 {
            self.fb.ins().uextend(clif_type(to), b)
        } else {
            let one = self.iconst(to, lanes, 1);
            self.fb.ins().band(b, one)
        }
    }

    fn not(&mut self, lanes: usize, b: Value) -> Value {
        if lanes == 1 {
            self.fb.ins().bxor_imm_s(b, 1)
        } else {
            self.fb.ins().bnot(b)
        }
    }

    fn icmp_imm(&mut self, lanes: usize, cc: IntCC, x: Value, imm: i64) -> Value {
        if lanes == 1 {
            self.fb.ins().icmp_imm_s(cc, x, imm)
        } else {
            let ty = self.fb.func.dfg.value_type(x).lane_type();
            let c = self.fb.ins().iconst(ty, imm);
            let c = self.splat(lanes, c);
            self.fb.ins().icmp(cc, x, c)
        }
    }

    /// `c ? a : b`; on vectors a bitwise select on the mask `c`.
    fn select(&mut self, lanes: usize, c: Value, a: Value, b: Value) -> Value {
        if lanes == 1 {
            return self.fb.ins().select(c, a, b);
        }
        let ty = self.fb.func.dfg.value_type(a);
        let cty = self.fb.func.dfg.value_type(c);
        let c = if ty == cty {
            c
        } else {
            self.fb.ins().bitcast(ty, MemFlagsData::new(), c)
        };
        self.fb.ins().bitselect(c, a, b)
    }

    /// Computes a float32 operation through its float64 form: `f` on the operands converted
    /// to float64, the result rounded to float32 (bool results pass through). On `f32x4`
    /// vectors each half is widened to `f64x2`, computed, and narrowed back. This is numjit's
    /// definition of the float32 math functions (the reference interpreter does the same), so
    /// the vector and scalar forms agree bit for bit.
    fn via_f64(
        &mut self,
        args: &[Value],
        lanes: usize,
        f: &mut Widened<'_, 'a, 'b>,
    ) -> Option<Value> {
        if lanes == 1 {
            let wide: Vec<Value> = args
                .iter()
                .map(|&a| self.fb.ins().fpromote(types::F64, a))
                .collect();
            let r = f(self, &wide, 1)?;
            return Some(if self.fb.func.dfg.value_type(r) == types::F64 {
                self.fb.ins().fdemote(types::F32, r)
            } else {
                r
            });
        }
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let high_to_low = self.fb.func.dfg.immediates.push(ConstantData::from(
            (8u8..16).chain(8..16).collect::<Vec<u8>>(),
        ));
        let mut halves = Vec::with_capacity(2);
        for half in 0..2 {
            let wide: Vec<Value> = args
                .iter()
                .map(|&a| {
                    let a = if half == 0 {
                        a
                    } else {
                        let bytes = self.fb.ins().bitcast(types::I8X16, little, a);
                        let moved = self.fb.ins().shuffle(bytes, bytes, high_to_low);
                        self.fb.ins().bitcast(types::F32X4, little, moved)
                    };
                    self.fb.ins().fvpromote_low(a)
                })
                .collect();
            let r = f(self, &wide, 2)?;
            let narrow = self.fb.ins().fvdemote(r);
            halves.push(self.fb.ins().bitcast(types::I8X16, little, narrow));
        }
        let join = self.fb.func.dfg.immediates.push(ConstantData::from(
            (0u8..8).chain(16..24).collect::<Vec<u8>>(),
        ));
        let joined = self.fb.ins().shuffle(halves[0], halves[1], join);
        Some(self.fb.ins().bitcast(types::F32X4, little, joined))
    }

    /// Emits node `id` on `args`: scalars when `lanes` is 1, vectors of the kernel's width
    /// otherwise. Returns `None`, having emitted nothing, for an operation without a vector
    /// lowering.
    ///
    /// The vector whitelist: every lane gives exactly the scalar instruction's bits, and each
    /// instruction lowers on every x86-64 (the unit tests compile and run them at SSE2, SSE4.2,
    /// AVX2 and the host's features). Floats: `+ - * /`, negation, comparisons, `abs`,
    /// `sqrt`, `floor`, `ceil`, `trunc`, `round`, `maximum`/`minimum` (with the scalar
    /// sequence's NaN), `copysign`, `isnan`/`isinf`/`isfinite`/`signbit`, constant powers,
    /// casts from bool and integers and to bool; float32 math functions through float64
    /// halves. Integers: `+ - *`, negation, `~ & | ^`, comparisons, `abs`, `sign`,
    /// `maximum`/`minimum`, `signbit`, constant powers 0..=64, casts from and to bool. Bool:
    /// `~ & | ^ + *`, comparisons, `maximum`/`minimum`, casts to numbers. All dtypes: `where`,
    /// the constant predicates, `copy`, `real`, `imag`, `conj`, `ones_like`. Lane by lane:
    /// `//`, `%`, `<< >>`, other integer powers, float → int, `sign` on floats, `fmod`, and
    /// the libm functions.
    ///
    /// In a 2-lane kernel a float32 value lives in a float64 lane (see `vector_type`): its
    /// operation is emitted as float64's and the result rounded to float32 (a no-op for the
    /// exact ones). That is float32's answer for `+ - * /`, `sqrt` (float64 has more than
    /// twice float32's precision, so the double rounding is innocuous), the math functions
    /// (numjit computes float32 math through float64), `%` (see `vector_mod`) and every exact
    /// operation; `//`, `nextafter` and casts from integers to float32 go lane by lane instead.
    fn emit_op(&mut self, id: NodeId, args: &[Value], lanes: usize) -> Option<Value> {
        let node = &self.program.nodes[id];
        let in_f64 = lanes == 2 && node.dtype == DType::Float32;
        if in_f64 {
            let from = node.args.first().map(|&a| self.program.nodes[a].dtype);
            let lane_wise = match node.op {
                Op::FloorDiv | Op::Call(Func::Nextafter) => true,
                Op::Cast => from.is_some_and(|d| d.is_int()),
                _ => false,
            };
            if lane_wise {
                return None;
            }
        }
        let v = self.emit_op_in(id, args, lanes)?;
        Some(
            if in_f64 && self.fb.func.dfg.value_type(v) == types::F64X2 {
                let narrow = self.fb.ins().fvdemote(v);
                self.fb.ins().fvpromote_low(narrow)
            } else {
                v
            },
        )
    }

    /// [`Lower::emit_op`] with float32 read as float64 in 2-lane vectors.
    fn emit_op_in(&mut self, id: NodeId, args: &[Value], lanes: usize) -> Option<Value> {
        let node = &self.program.nodes[id];
        let as64 = |d: DType| {
            if lanes == 2 && d == DType::Float32 {
                DType::Float64
            } else {
                d
            }
        };
        let (op, dt) = (node.op, as64(node.dtype));
        let arg_dt = node
            .args
            .first()
            .map(|&a| as64(self.program.nodes[a].dtype));
        let scalar = lanes == 1;
        let float = dt.is_float();
        Some(match op {
            Op::Input(_) => unreachable!("inputs are loaded, not emitted"),
            Op::Const(c) => self.constant(dt, lanes, c),
            Op::Cast => return self.cast(args[0], arg_dt.unwrap_or(dt), dt, lanes),
            Op::Neg if float => self.i().fneg(args[0]),
            Op::Neg => self.i().ineg(args[0]),
            Op::Invert => match dt {
                DType::Bool => self.not(lanes, args[0]),
                _ => self.i().bnot(args[0]),
            },
            Op::Add | Op::Or => match dt {
                _ if float => self.i().fadd(args[0], args[1]),
                DType::Bool => self.i().bor(args[0], args[1]),
                _ if op == Op::Add => self.i().iadd(args[0], args[1]),
                _ => self.i().bor(args[0], args[1]),
            },
            Op::Mul | Op::And => match dt {
                _ if float => self.i().fmul(args[0], args[1]),
                DType::Bool => self.i().band(args[0], args[1]),
                _ if op == Op::Mul => self.i().imul(args[0], args[1]),
                _ => self.i().band(args[0], args[1]),
            },
            Op::Xor => self.i().bxor(args[0], args[1]),
            Op::Sub if float => self.i().fsub(args[0], args[1]),
            Op::Sub => self.i().isub(args[0], args[1]),
            Op::Div => match self.exact_reciprocal(node.args[1]) {
                // x / 2^k is x · 2^-k exactly (the same real number, rounded once).
                Some(r) => {
                    let r = self.fconst(dt, lanes, r);
                    self.i().fmul(args[0], r)
                }
                None => self.i().fdiv(args[0], args[1]),
            },
            Op::Mod if !scalar && dt == DType::Float64 => {
                let recip = self.exact_reciprocal(node.args[1]);
                self.vector_mod(args[0], args[1], recip)
            }
            Op::Mod if !scalar && dt == DType::Float32 => {
                let recip = self.exact_reciprocal(node.args[1]);
                return self.via_f64(args, lanes, &mut |me, a, _| {
                    Some(me.vector_mod(a[0], a[1], recip))
                });
            }
            Op::FloorDiv | Op::Mod | Op::Shl | Op::Shr if !scalar => return None,
            Op::FloorDiv | Op::Mod => {
                let floor = op == Op::FloorDiv;
                match dt {
                    DType::Float64 => {
                        let h = if floor { h_floordiv_f64 } else { h_mod_f64 };
                        self.call_helper(h as *const u8, args, types::F64)
                    }
                    DType::Float32 => {
                        let h = if floor { h_floordiv_f32 } else { h_mod_f32 };
                        self.call_helper(h as *const u8, args, types::F32)
                    }
                    _ => {
                        let h = if floor { h_floordiv_i64 } else { h_mod_i64 };
                        self.int_helper(dt, h as *const u8, args)
                    }
                }
            }
            Op::PowConst(halves) => match dt {
                DType::Float32 => {
                    return self.via_f64(args, lanes, &mut |me, a, _| {
                        crate::codegen::vmath::emit_pow_const(&mut me.fb, a[0], halves)
                    })
                }
                _ => return crate::codegen::vmath::emit_pow_const(&mut self.fb, args[0], halves),
            },
            Op::Pow => {
                let exponent = match self.program.nodes[node.args[1]].op {
                    Op::Const(c) => Some(c),
                    _ => None,
                };
                return self.pow(dt, args[0], args[1], exponent, lanes);
            }
            Op::Shl | Op::Shr => {
                let (a, b) = (args[0], args[1]);
                let bits = (dt.size() * 8) as i64;
                let ty = clif_type(dt);
                let in_range = self.i().icmp_imm_s(IntCC::UnsignedLessThan, b, bits);
                if op == Op::Shl {
                    let shifted = self.i().ishl(a, b);
                    let zero = self.i().iconst(ty, 0);
                    self.i().select(in_range, shifted, zero)
                } else {
                    let top = self.i().iconst(ty, bits - 1);
                    let count = self.i().select(in_range, b, top);
                    self.i().sshr(a, count)
                }
            }
            Op::Cmp(c) => {
                let (a, b) = (args[0], args[1]);
                match arg_dt.unwrap_or(DType::Float64) {
                    DType::Bytes(_) => {
                        let o = self.bytes_call(id, raw::h_bytes_cmp as *const u8, types::I32);
                        let cc = match c {
                            Cmp::Lt => IntCC::SignedLessThan,
                            Cmp::Le => IntCC::SignedLessThanOrEqual,
                            Cmp::Eq => IntCC::Equal,
                            Cmp::Ne => IntCC::NotEqual,
                            Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
                            Cmp::Gt => IntCC::SignedGreaterThan,
                        };
                        self.i().icmp_imm_s(cc, o, 0)
                    }
                    t if t.is_float() => {
                        let cc = match c {
                            Cmp::Lt => FloatCC::LessThan,
                            Cmp::Le => FloatCC::LessThanOrEqual,
                            Cmp::Eq => FloatCC::Equal,
                            Cmp::Ne => FloatCC::NotEqual,
                            Cmp::Ge => FloatCC::GreaterThanOrEqual,
                            Cmp::Gt => FloatCC::GreaterThan,
                        };
                        self.i().fcmp(cc, a, b)
                    }
                    DType::Bool if !scalar => {
                        // Masks, false < true: a < b is !a & b, a <= b is !a | b.
                        match c {
                            Cmp::Lt => self.i().band_not(b, a),
                            Cmp::Le => self.i().bor_not(b, a),
                            Cmp::Gt => self.i().band_not(a, b),
                            Cmp::Ge => self.i().bor_not(a, b),
                            Cmp::Eq => {
                                let ne = self.i().bxor(a, b);
                                self.i().bnot(ne)
                            }
                            Cmp::Ne => self.i().bxor(a, b),
                        }
                    }
                    other => {
                        let signed = other.is_int();
                        let cc = match (c, signed) {
                            (Cmp::Lt, true) => IntCC::SignedLessThan,
                            (Cmp::Le, true) => IntCC::SignedLessThanOrEqual,
                            (Cmp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
                            (Cmp::Gt, true) => IntCC::SignedGreaterThan,
                            (Cmp::Lt, false) => IntCC::UnsignedLessThan,
                            (Cmp::Le, false) => IntCC::UnsignedLessThanOrEqual,
                            (Cmp::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
                            (Cmp::Gt, false) => IntCC::UnsignedGreaterThan,
                            (Cmp::Eq, _) => IntCC::Equal,
                            (Cmp::Ne, _) => IntCC::NotEqual,
                        };
                        self.i().icmp(cc, a, b)
                    }
                }
            }
            Op::Call(Func::Contains) => {
                self.bytes_call(id, raw::h_contains as *const u8, types::I8)
            }
            Op::Call(f) => return self.call(f, dt, arg_dt.unwrap_or(dt), args, lanes),
        })
    }

    /// Calls a byte-string helper `h(a, a_width, b, b_width)` on the two operands of node `id`
    /// (scalar loop only: kernels over byte strings have no vector loop).
    fn bytes_call(&mut self, id: NodeId, h: *const u8, ret: Type) -> Value {
        let node = &self.program.nodes[id];
        let (a, b) = (node.args[0], node.args[1]);
        let (wa, wb) = (
            self.program.nodes[a].dtype.size() as i64,
            self.program.nodes[b].dtype.size() as i64,
        );
        let (pa, pb) = (self.value(a), self.value(b));
        let la = self.i().iconst(types::I64, wa);
        let lb = self.i().iconst(types::I64, wb);
        self.call_helper(h, &[pa, la, pb, lb], ret)
    }

    /// An int64 helper `h` applied to int32 or int64 operands (int32 sign-extended, the result
    /// wrapped back: every int32 operation is the low half of the int64 one).
    fn int_helper(&mut self, dt: DType, h: *const u8, args: &[Value]) -> Value {
        if dt == DType::Int64 {
            return self.call_helper(h, args, types::I64);
        }
        let wide: Vec<Value> = args
            .iter()
            .map(|&a| self.fb.ins().sextend(types::I64, a))
            .collect();
        let r = self.call_helper(h, &wide, types::I64);
        self.fb.ins().ireduce(types::I32, r)
    }

    fn cast(&mut self, v: Value, from: DType, to: DType, lanes: usize) -> Option<Value> {
        use DType::*;
        let scalar = lanes == 1;
        let vty = |dt: DType| {
            if scalar {
                clif_type(dt)
            } else {
                vector_type(dt, lanes)
            }
        };
        Some(match (from, to) {
            (a, b) if a == b => v,
            (Bool, Int32 | Int64) => self.bool_to_int(to, lanes, v),
            (Bool, Float32 | Float64) if scalar => {
                let w = self.i().uextend(types::I32, v);
                self.i().fcvt_from_sint(clif_type(to), w)
            }
            (Bool, Float32 | Float64) => {
                // The mask selects the bits of 1.0; elsewhere +0.0, as converting 0 gives.
                let one = match to {
                    Float32 => self.iconst(Int32, lanes, 1.0f32.to_bits() as i64),
                    _ => self.iconst(Int64, lanes, 1.0f64.to_bits() as i64),
                };
                let bits = self.i().band(v, one);
                self.i().bitcast(vty(to), MemFlagsData::new(), bits)
            }
            (Int32 | Int64, Bool) => self.icmp_imm(lanes, IntCC::NotEqual, v, 0),
            (Float32 | Float64, Bool) => {
                let zero = self.fconst(from, lanes, 0.0);
                self.i().fcmp(FloatCC::NotEqual, v, zero)
            }
            // Only as scalars: in the vector loop int32 never mixes with 64-bit values
            // (see `vector_width`) and float32 in a 2-lane kernel is read as float64 (see
            // `emit_op`), so these casts are identities there.
            (Int32, Int64) => self.i().sextend(types::I64, v),
            (Int64, Int32) => self.i().ireduce(types::I32, v),
            (Float32, Float64) => self.i().fpromote(types::F64, v),
            (Float64, Float32) => self.i().fdemote(types::F32, v),
            (Int32 | Int64, Float32 | Float64) => self.i().fcvt_from_sint(vty(to), v),
            // x86-64 has no saturating float → int vector conversion (Cranelift refuses it).
            (Float32 | Float64, Int32 | Int64) if !scalar => return None,
            (Float32 | Float64, Int32 | Int64) => {
                // x86-64's (and so NumPy's) answer: the integer minimum for NaN and values out
                // of range (below the range, saturation gives it too); see `ir::float_to_int`.
                let ty = clif_type(to);
                let sat = self.i().fcvt_to_sint_sat(ty, v);
                let limit = (1u64 << (to.size() * 8 - 1)) as f64;
                let limit = self.fconst(from, 1, limit);
                let fits = self.i().fcmp(FloatCC::LessThan, v, limit);
                let min = self.i().iconst(
                    ty,
                    if to == Int32 {
                        i32::MIN as i64
                    } else {
                        i64::MIN
                    },
                );
                self.i().select(fits, sat, min)
            }
            _ => unreachable!("complex casts are lowered by emit_complex"),
        })
    }

    /// `x ** e`. (Checking already turned the exponents NumPy special-cases, 0, 1, 2, -1 and
    /// 0.5, into plain operations, and other constant integer and half-integer float
    /// exponents into [`Op::PowConst`].) Float exponents use the inline kernel
    /// `vmath::emit_pow` (within 1 ulp of `pow`, special cases exact, vector and scalar alike);
    /// float32 goes through float64 (see `via_f64`). Constant integer exponents 0..=64 on
    /// integers become repeated squaring, exact with wrapping.
    fn pow(
        &mut self,
        dt: DType,
        x: Value,
        e: Value,
        exponent: Option<Scalar>,
        lanes: usize,
    ) -> Option<Value> {
        let int_exponent = match exponent {
            Some(Scalar::Int(k)) => Some(k),
            Some(Scalar::Int32(k)) => Some(k as i64),
            _ => None,
        };
        match (dt, exponent) {
            (DType::Int32 | DType::Int64, _)
                if int_exponent.is_some_and(|k| (0..=64).contains(&k)) =>
            {
                let mut result = self.iconst(dt, lanes, 1);
                let mut base = x;
                let mut k = int_exponent.unwrap_or(0);
                while k > 0 {
                    if k & 1 == 1 {
                        result = self.fb.ins().imul(result, base);
                    }
                    k >>= 1;
                    if k > 0 {
                        base = self.fb.ins().imul(base, base);
                    }
                }
                Some(result)
            }
            (DType::Float32, _) => {
                let wide = exponent.map(|c| Scalar::Float(c.to_f64()));
                self.via_f64(&[x, e], lanes, &mut |me, a, l| {
                    me.pow(DType::Float64, a[0], a[1], wide, l)
                })
            }
            // Any other float exponent: the inline kernel on vectors, its reference out of line
            // in scalar code (the same bits).
            (DType::Float64, _) if lanes == 1 => {
                Some(self.call_helper(h_pow_f64 as *const u8, &[x, e], types::F64))
            }
            (DType::Float64, _) => crate::codegen::vmath::emit_pow(&mut self.fb, x, e),
            _ if lanes != 1 => None,
            // An integer exponent known only at run time.
            _ => Some(self.int_helper(dt, h_pow_i64 as *const u8, &[x, e])),
        }
    }

    fn call(
        &mut self,
        f: Func,
        dt: DType,
        arg_dt: DType,
        args: &[Value],
        lanes: usize,
    ) -> Option<Value> {
        use Func::*;
        let scalar = lanes == 1;
        let float_arg = arg_dt.is_float();
        Some(match (f, arg_dt) {
            (Where, _) => self.select(lanes, args[0], args[1], args[2]),
            (Real | Conj | Copy, _) => args[0],
            (Imag, _) => self.constant(dt, lanes, Scalar::Int(0)),
            (OnesLike, _) => self.constant(dt, lanes, Scalar::Int(1)),
            (Isnan, _) if float_arg => self.i().fcmp(FloatCC::Unordered, args[0], args[0]),
            (Isinf | Isfinite, _) if float_arg => {
                let abs = self.i().fabs(args[0]);
                let inf = self.fconst(arg_dt, lanes, f64::INFINITY);
                let cc = if f == Isinf {
                    FloatCC::Equal
                } else {
                    FloatCC::LessThan
                };
                self.i().fcmp(cc, abs, inf)
            }
            (Signbit, _) if float_arg => {
                let int = if arg_dt == DType::Float32 {
                    DType::Int32
                } else {
                    DType::Int64
                };
                let ty = if scalar {
                    clif_type(int)
                } else {
                    vector_type(int, lanes)
                };
                let bits = self.i().bitcast(ty, MemFlagsData::new(), args[0]);
                let neg = self.icmp_imm(lanes, IntCC::SignedLessThan, bits, 0);
                // numjit's NaN rule (`semantics::scalar::signbit_f64`): false for every NaN.
                let ordered = self.i().fcmp(FloatCC::Ordered, args[0], args[0]);
                self.i().band(neg, ordered)
            }
            (Signbit, t) if t.is_int() => self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0),
            (Isnan | Isinf | Signbit, _) => self.bool_const(lanes, false),
            (Isfinite, _) => self.bool_const(lanes, true),
            (Abs, _) if float_arg => self.i().fabs(args[0]),
            (Abs, t) if t.is_int() => self.i().iabs(args[0]),
            (Abs | Floor | Ceil | Trunc | Round, _) if !dt.is_float() => args[0],
            (Floor, _) => self.i().floor(args[0]),
            (Ceil, _) => self.i().ceil(args[0]),
            (Trunc, _) => self.i().trunc(args[0]),
            (Round, _) => self.i().nearest(args[0]),
            (Sqrt, _) => self.i().sqrt(args[0]),
            (Sign, t) if t.is_int() => {
                let gt = self.icmp_imm(lanes, IntCC::SignedGreaterThan, args[0], 0);
                let lt = self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0);
                let gt = self.bool_to_int(t, lanes, gt);
                let lt = self.bool_to_int(t, lanes, lt);
                self.i().isub(gt, lt)
            }
            (Maximum | Minimum, _) if float_arg => {
                let (x, y) = (args[0], args[1]);
                let m = if f == Maximum {
                    self.i().fmax(x, y)
                } else {
                    self.i().fmin(x, y)
                };
                if scalar {
                    m
                } else {
                    // Vector fmax/fmin agree with the scalar sequence except that they
                    // canonicalise NaN; the scalar sequence returns y + x there (its `addsd`
                    // with y as destination), so the NaN keeps its payload and sign.
                    let nan = self.i().fcmp(FloatCC::Unordered, x, y);
                    let sum = self.i().fadd(y, x);
                    self.select(lanes, nan, sum, m)
                }
            }
            (Maximum, t) if t.is_int() => self.i().smax(args[0], args[1]),
            (Minimum, t) if t.is_int() => self.i().smin(args[0], args[1]),
            (Maximum, _) => self.i().bor(args[0], args[1]),
            (Minimum, _) => self.i().band(args[0], args[1]),
            (Copysign, _) => {
                // numjit's NaN rule (`semantics::scalar::copysign_f64`): a NaN sign source
                // counts as positive.
                let nan = self.i().fcmp(FloatCC::Unordered, args[1], args[1]);
                let abs = self.i().fabs(args[1]);
                let y = self.select(lanes, nan, abs, args[1]);
                if scalar {
                    self.i().fcopysign(args[0], y)
                } else {
                    // Cranelift has no vector fcopysign on x86-64: the sign bit from y, the
                    // rest from args[0], as the scalar lowering does.
                    let sign = self.fconst(arg_dt, lanes, -0.0);
                    self.i().bitselect(sign, y, args[0])
                }
            }
            (Nextafter, DType::Float32) if scalar => {
                self.call_helper(h_nextafter_f32 as *const u8, args, types::F32)
            }
            (Fmod, t) if t.is_int() && scalar => self.int_helper(t, h_fmod_i64 as *const u8, args),
            // Everything else on float32 (math functions, hypot, fmod, sign): through float64.
            (_, DType::Float32) if f != Nextafter => {
                return self.via_f64(args, lanes, &mut |me, a, l| {
                    me.call(f, DType::Float64, DType::Float64, a, l)
                });
            }
            // numjit's own vectorised kernels (exp, log, sin, ...), identical bits in vector and
            // scalar form; the interpreter evaluates through them too (`exec::math`).
            // Scalar code calls the kernel's reference out of line: the same bits, much less
            // code to compile (hoisted values and a row's last element are not worth it).
            (_, DType::Float64) if crate::codegen::vmath::has_kernel(f) && scalar => {
                match (own_helper(f), args.len()) {
                    (Some(h), 1) => self.call_helper(h as *const u8, args, types::F64),
                    (None, 2) if f == Arctan2 => {
                        self.call_helper(h_atan2 as *const u8, args, types::F64)
                    }
                    _ => return None,
                }
            }
            (_, DType::Float64) if crate::codegen::vmath::has_kernel(f) => {
                return match *args {
                    [x] => crate::codegen::vmath::emit(&mut self.fb, f, x),
                    [x, y] => crate::codegen::vmath::emit2(&mut self.fb, f, x, y),
                    _ => None,
                };
            }
            _ if !scalar => return None,
            (Fmod, _) => self.call_helper(h_fmod_f64 as *const u8, args, types::F64),
            (Hypot, _) => self.call_helper(h_hypot as *const u8, args, types::F64),
            (Nextafter, _) => self.call_helper(h_nextafter as *const u8, args, types::F64),
            _ => {
                let h = unary_helper(f).expect("every float function has a routine");
                self.call_helper(h as *const u8, args, types::F64)
            }
        })
    }

    /// Whether node `id` computes on complex values (its result or its first operand is
    /// complex, or it builds one with `complex(re, im)`).
    fn is_complex(&self, id: NodeId) -> bool {
        let node = &self.program.nodes[id];
        node.dtype == DType::Complex128
            || node
                .args
                .first()
                .is_some_and(|&a| self.program.nodes[a].dtype == DType::Complex128)
    }

    /// The (real, imaginary) parts of complex node `id`.
    fn cvalue(&self, id: NodeId) -> (Value, Value) {
        self.cvalues[id].expect("complex operands are lowered before their users")
    }

    /// Emits a complex node (scalar loop only): into `cvalues` when its result is complex,
    /// `values` otherwise. `+ - *`, negation, comparisons, parts and predicates are inline (the
    /// formulas of the reference interpreter, so the two agree bit for bit); division, powers
    /// and functions call [`crate::semantics::cmath`].
    fn emit_complex(&mut self, id: NodeId) {
        use Func::*;
        let node = self.program.nodes[id].clone();
        let from = node
            .args
            .first()
            .map(|&a| self.program.nodes[a].dtype)
            .unwrap_or(node.dtype);
        let pair = |me: &mut Self, k: usize| me.cvalue(node.args[k]);
        let ty = types::F64;
        let result: Result<(Value, Value), Value> = match node.op {
            Op::Const(c) => {
                let z = c.to_complex();
                Ok((self.i().f64const(z.re), self.i().f64const(z.im)))
            }
            Op::Cast if from == DType::Complex128 && node.dtype == DType::Bool => {
                // Nonzero: either part nonzero (NaN counts).
                let (re, im) = pair(self, 0);
                let zero = self.i().f64const(0.0);
                let r = self.i().fcmp(FloatCC::NotEqual, re, zero);
                let i = self.i().fcmp(FloatCC::NotEqual, im, zero);
                Err(self.i().bor(r, i))
            }
            Op::Cast if from == DType::Complex128 => {
                // complex → real (NumPy's unsafe cast): the real part.
                let (re, _) = pair(self, 0);
                Err(self
                    .cast(re, DType::Float64, node.dtype, 1)
                    .expect("scalar casts always lower"))
            }
            Op::Cast => {
                let x = self.value(node.args[0]);
                let re = self
                    .cast(x, from, DType::Float64, 1)
                    .expect("scalar casts always lower");
                Ok((re, self.i().f64const(0.0)))
            }
            Op::Neg => {
                let (re, im) = pair(self, 0);
                Ok((self.i().fneg(re), self.i().fneg(im)))
            }
            Op::Add | Op::Sub => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                Ok(if node.op == Op::Add {
                    (self.i().fadd(ar, br), self.i().fadd(ai, bi))
                } else {
                    (self.i().fsub(ar, br), self.i().fsub(ai, bi))
                })
            }
            Op::Mul => {
                // NumPy's complex multiply on x86-64: re = fma(ar, br, -(ai·bi)),
                // im = fma(ar, bi, ai·br) (see `interp::complex_mul`).
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let ii = self.i().fmul(ai, bi);
                let neg_ii = self.i().fneg(ii);
                let ir = self.i().fmul(ai, br);
                Ok((self.i().fma(ar, br, neg_ii), self.i().fma(ar, bi, ir)))
            }
            Op::Div | Op::Pow => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let h = if node.op == Op::Div { h_cdiv } else { h_cpow };
                Ok(self.call_pair(h as *const u8, &[ar, ai, br, bi]))
            }
            Op::Cmp(c) => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let fc = |me: &mut Self, cc, x, y| me.i().fcmp(cc, x, y);
                Err(match c {
                    Cmp::Eq | Cmp::Ne => {
                        let cc = if c == Cmp::Eq {
                            FloatCC::Equal
                        } else {
                            FloatCC::NotEqual
                        };
                        let (r, i) = (fc(self, cc, ar, br), fc(self, cc, ai, bi));
                        if c == Cmp::Eq {
                            self.i().band(r, i)
                        } else {
                            self.i().bor(r, i)
                        }
                    }
                    _ => {
                        // Lexicographic: a.re ⋄ b.re, or equal real parts and a.im ⋄' b.im.
                        let (strict, im_cc) = match c {
                            Cmp::Lt => (FloatCC::LessThan, FloatCC::LessThan),
                            Cmp::Le => (FloatCC::LessThan, FloatCC::LessThanOrEqual),
                            Cmp::Gt => (FloatCC::GreaterThan, FloatCC::GreaterThan),
                            _ => (FloatCC::GreaterThan, FloatCC::GreaterThanOrEqual),
                        };
                        // NumPy: the real parts decide only where no imaginary part is NaN.
                        let strict_re = fc(self, strict, ar, br);
                        let ordered = fc(self, FloatCC::Ordered, ai, bi);
                        let first = self.i().band(strict_re, ordered);
                        let same = fc(self, FloatCC::Equal, ar, br);
                        let second = fc(self, im_cc, ai, bi);
                        let tie = self.i().band(same, second);
                        self.i().bor(first, tie)
                    }
                })
            }
            Op::Call(Complex) => {
                let (re, im) = (self.value(node.args[0]), self.value(node.args[1]));
                Ok((re, im))
            }
            Op::Call(Where) => {
                let c = self.value(node.args[0]);
                let ((ar, ai), (br, bi)) = (pair(self, 1), pair(self, 2));
                Ok((self.i().select(c, ar, br), self.i().select(c, ai, bi)))
            }
            Op::Call(f) => {
                let (re, im) = pair(self, 0);
                match f {
                    Real => Err(re),
                    Imag => Err(im),
                    Conj => Ok((re, self.i().fneg(im))),
                    Copy => Ok((re, im)),
                    OnesLike => Ok((self.i().f64const(1.0), self.i().f64const(0.0))),
                    Isnan => {
                        let a = self.i().fcmp(FloatCC::Unordered, re, re);
                        let b = self.i().fcmp(FloatCC::Unordered, im, im);
                        Err(self.i().bor(a, b))
                    }
                    Isinf | Isfinite => {
                        let inf = self.i().f64const(f64::INFINITY);
                        let cc = if f == Isinf {
                            FloatCC::Equal
                        } else {
                            FloatCC::LessThan
                        };
                        let ra = self.i().fabs(re);
                        let ia = self.i().fabs(im);
                        let a = self.i().fcmp(cc, ra, inf);
                        let b = self.i().fcmp(cc, ia, inf);
                        Err(if f == Isinf {
                            self.i().bor(a, b)
                        } else {
                            self.i().band(a, b)
                        })
                    }
                    Abs => Err(self.call_helper(h_cabs as *const u8, &[re, im], ty)),
                    Maximum | Minimum => {
                        let (br, bi) = pair(self, 1);
                        let h = if f == Maximum { h_cmax } else { h_cmin };
                        Ok(self.call_pair(h as *const u8, &[re, im, br, bi]))
                    }
                    f => {
                        let h = complex_helper(f).expect("checking admits only complex functions");
                        Ok(self.call_pair(h as *const u8, &[re, im]))
                    }
                }
            }
            Op::Input(_)
            | Op::Invert
            | Op::FloorDiv
            | Op::Mod
            | Op::Shl
            | Op::Shr
            | Op::And
            | Op::Or
            | Op::Xor
            | Op::PowConst(_) => {
                unreachable!("checking admits no {:?} on complex", node.op)
            }
        };
        match result {
            Ok(z) => self.cvalues[id] = Some(z),
            Err(v) => self.values[id] = Some(v),
        }
    }

    /// Calls a helper returning a complex number (two float64 results).
    fn call_pair(&mut self, addr: *const u8, args: &[Value]) -> (Value, Value) {
        let mut sig = Signature::new(self.call_conv);
        for _ in args {
            sig.params.push(AbiParam::new(types::F64));
        }
        sig.returns.push(AbiParam::new(types::F64));
        sig.returns.push(AbiParam::new(types::F64));
        let sigref = self.fb.import_signature(sig);
        let callee = self.fb.ins().iconst(self.ptr, addr as i64);
        let call = self.fb.ins().call_indirect(sigref, callee, args);
        let r = self.fb.inst_results(call);
        (r[0], r[1])
    }
}
