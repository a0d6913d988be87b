# Entry points for developers; CI runs scripts/test.sh (see README.md).
.PHONY: test bench race serve

test:
	bash scripts/test.sh

bench:
	$(MAKE) -C loadtest bench

race:
	$(MAKE) -C loadtest race

serve:
	.venv/bin/rtc-gateway serve --data-dir ./data
