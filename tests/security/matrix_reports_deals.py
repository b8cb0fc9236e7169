"""The deals and customers reports (issues 17 and 18) in the security matrix: who reads them.

Decisions (docs/contract.md "reports"):
- admin, manager and integrator read every report, as they read the other reports (an integrator gets
  counts, names and amounts; the lists carry customer names but never a phone number);
- finance (财务) reads the sales report (销售业绩, to reconcile amounts and refunds) and the payouts report
  (结佣与奖励, which it pays) and nothing else of the reports: not the 换房/退房 and 特殊优惠 lists (customer
  names and price decisions), nor complaints, revisits or archives;
- consultants, the front desk and partners read no report (a partner's own numbers are on its own pages);
- another branch's id in `branch_id` is 404 for every role, also inside a roll-up list (`a,b`).
Charts follow their report.
"""

TABLE = """
# method path                                            admin   manager  consultant  reception  finance  partner   integrator
# -- reports from deals and customers: admin, manager, integrator; finance also sales and payouts
GET    /v1/reports/sales                             2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/sales/chart.png                   2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/sales/chart.svg                   2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/deal-changes                      2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/deal-changes/chart.png            2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/deal-changes/chart.svg            2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/discounts                         2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/discounts/chart.png               2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/discounts/chart.svg               2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/payouts                           2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/payouts/chart.png                 2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/payouts/chart.svg                 2xx     2xx      403         403        2xx      403       2xx
GET    /v1/reports/complaints                        2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/complaints/chart.png              2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/complaints/chart.svg              2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/revisits                          2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/revisits/chart.png                2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/revisits/chart.svg                2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/customers                         2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/customers/chart.png               2xx     2xx      403         403        403      403       2xx
GET    /v1/reports/customers/chart.svg               2xx     2xx      403         403        403      403       2xx
"""
BODIES: dict = {}
KINDS: dict = {}
PARAMS: dict = {}
