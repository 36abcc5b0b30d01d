;; hostile_bigmem.wat: declares 65536 initial pages (4 GiB), above any sane limit.
(module (memory 65536) (func (export "main")))
