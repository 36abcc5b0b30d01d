;; hostile_data_oob.wat: a data segment past the end of memory traps at instantiation.
(module (memory 1) (data (i32.const 65534) "abcd") (func (export "main")))
