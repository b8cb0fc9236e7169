"""The customers service: archives (顾客档案), key accounts, revisits (回访), evaluations (客户关系评估), complaints (客户投诉) and greetings."""
