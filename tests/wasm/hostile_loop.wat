;; hostile_loop.wat: never returns; must stop with out_of_fuel.
(module (func (export "main") (loop $l (br $l))))
