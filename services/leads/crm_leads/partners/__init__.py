"""partners aggregate: channel partner accounts, agencies (中介公司) and their agents (经纪人)."""
