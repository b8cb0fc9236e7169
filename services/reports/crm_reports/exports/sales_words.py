"""Words of the deals and customers reports (成交, 换房/退房, 特殊优惠, 结佣, 投诉, 回访, 顾客档案), zh-CN first, en.

`exports.words` merges `COLUMNS` and `TITLES` into its catalogues (keys of its own win), so a sheet's
headers come from one `label`; the other tables here name the codes inside these reports.
"""

from __future__ import annotations

COLUMNS = {
    "zh-CN": {
        "dim_consultant": "置业顾问", "dim_channel": "渠道", "dim_partner": "渠道商", "dim_referrer": "推荐人",
        "dim_product_type": "产品类型", "units": "成交套数", "signed": "签约套数", "signed_amount": "签约金额",
        "cancelled": "退房套数", "cancelled_amount": "退房金额", "refund": "退款金额", "moved": "换房调整套数",
        "moved_amount": "换房调整金额", "collected_amount": "回款金额", "change_kind": "变更类型", "customer": "客户",
        "unit": "房号", "new_unit": "新房号", "deal_stage": "变更前阶段", "change_reason": "变更原因",
        "agreed_price": "成交价", "previous_price": "原成交价", "paid_total_amount": "已付房款", "list_price": "标准价",
        "discount": "优惠金额", "discount_rate": "优惠比例", "approved_by": "审批人", "approval_note": "审批说明",
        "payout_kind": "类型", "beneficiary": "受益方", "beneficiary_type": "受益方类型",
        "n_pending": "待到账笔数", "pending_amount": "待到账金额", "n_due": "应付笔数", "due_amount": "应付金额",
        "n_approved": "已审批笔数", "approved_amount": "已审批金额", "n_paid": "已发放笔数", "paid_amount": "已发放金额",
        "n_void": "作废笔数", "void_amount": "作废金额", "n_clawback": "追回笔数", "clawback_amount": "追回金额",
        "complaint_category": "投诉类别", "received": "受理", "major": "重大投诉", "closed": "已结案",
        "closed_on_time": "按时结案", "closed_late": "逾期结案", "avg_days_to_close": "平均结案天数",
        "handling_due": "到期应结", "handling_missed": "处理逾期", "overdue_rate": "逾期率", "report_due": "调查报告应交",
        "report_missed": "调查报告逾期", "satisfied": "满意", "unsatisfied": "不满意", "reopened": "已重开",
        "actions_done": "整改完成", "account_manager": "客户经理", "due": "应回访", "done_on_time": "按时回访",
        "done_late": "逾期回访", "overdue_tasks": "逾期任务", "missed": "逾期提醒次数", "done": "回访次数",
        "satisfaction_avg": "平均满意度", "revisit_rate": "回访及时率", "tier": "客户层级", "archives": "档案数",
        "frozen": "冻结", "category": "档案类别", "opened": "新建档案", "latest_grade": "最新评估",
        "evaluations": "评估次数", "evaluation_grade": "本期评估", "recommendation": "评估建议",
        "subscribed": "认购数", "paid": "全款到账数", "subscribe_rate": "认购率", "sign_rate": "签约率",
    },
    "en": {
        "dim_consultant": "Consultant", "dim_channel": "Channel", "dim_partner": "Partner", "dim_referrer": "Referrer",
        "dim_product_type": "Product type", "units": "Units sold", "signed": "Signed", "signed_amount": "Signed amount",
        "cancelled": "Cancelled", "cancelled_amount": "Cancelled amount", "refund": "Refund", "moved": "Unit changes",
        "moved_amount": "Unit change amount", "collected_amount": "Collected", "change_kind": "Change",
        "customer": "Customer", "unit": "Unit", "new_unit": "New unit", "deal_stage": "Stage before",
        "change_reason": "Reason", "agreed_price": "Agreed price", "previous_price": "Previous price",
        "paid_total_amount": "Paid so far", "list_price": "List price", "discount": "Discount",
        "discount_rate": "Discount rate", "approved_by": "Approved by", "approval_note": "Approval note",
        "payout_kind": "Kind", "beneficiary": "Beneficiary", "beneficiary_type": "Beneficiary type",
        "n_pending": "Pending", "pending_amount": "Pending amount", "n_due": "Due", "due_amount": "Due amount",
        "n_approved": "Approved", "approved_amount": "Approved amount", "n_paid": "Paid", "paid_amount": "Paid amount",
        "n_void": "Void", "void_amount": "Void amount", "n_clawback": "Clawback", "clawback_amount": "Clawback amount",
        "complaint_category": "Category", "received": "Received", "major": "Major", "closed": "Closed",
        "closed_on_time": "Closed on time", "closed_late": "Closed late", "avg_days_to_close": "Average days to close",
        "handling_due": "Deadlines", "handling_missed": "Deadlines missed", "overdue_rate": "Overdue rate",
        "report_due": "Reports due", "report_missed": "Reports late", "satisfied": "Satisfied",
        "unsatisfied": "Unsatisfied", "reopened": "Reopened", "actions_done": "Actions done",
        "account_manager": "Account manager", "due": "Due", "done_on_time": "Done on time", "done_late": "Done late",
        "overdue_tasks": "Overdue tasks", "missed": "Overdue notices", "done": "Revisits", "satisfaction_avg":
        "Average satisfaction", "revisit_rate": "On-time rate", "tier": "Tier", "archives": "Archives",
        "frozen": "Frozen", "category": "Category", "opened": "Opened", "latest_grade": "Latest grade",
        "evaluations": "Evaluations", "evaluation_grade": "Graded in period", "recommendation": "Recommendation",
        "subscribed": "Subscribed", "paid": "Paid in full", "subscribe_rate": "Subscription rate", "sign_rate": "Signing rate",
    },
}
TITLES = {
    "zh-CN": {"sales": "销售业绩统计", "deal-changes": "换房退房一览表", "discounts": "特殊优惠客户一览表",
              "payouts": "佣金与奖励统计", "complaints": "客户投诉统计", "revisits": "客户回访统计", "customers": "顾客档案统计"},
    "en": {"sales": "Sales", "deal-changes": "Unit changes and cancellations", "discounts": "Approved discounts",
           "payouts": "Commissions and rewards", "complaints": "Complaints", "revisits": "Revisits", "customers": "Customers"},
}
PRODUCT_TYPES = {
    "zh-CN": {"apartment": "公寓", "high_rise": "小高层", "garden_house": "洋房", "villa": "别墅", "shop": "商铺",
              "parking": "车位", "other": "其他"},
    "en": {"apartment": "Apartment", "high_rise": "High-rise", "garden_house": "Garden house", "villa": "Villa",
           "shop": "Shop", "parking": "Parking", "other": "Other"},
}
NOBODY = {  # the row of deals nobody of that kind is credited for
    "zh-CN": {"partner": "无渠道商", "referrer": "无推荐人", "consultant": "未分配", "channel": "未知渠道"},
    "en": {"partner": "No partner", "referrer": "No referrer", "consultant": "Unassigned", "channel": "Unknown channel"},
}
CHANGE_KINDS = {"zh-CN": {"cancel": "退房", "unit_change": "换房"}, "en": {"cancel": "Cancellation", "unit_change": "Unit change"}}
DEAL_STAGES = {"zh-CN": {"subscribed": "认购", "signed": "签约", "paid": "全款到账", "cancelled": "已退房", "unknown": "未知"},
               "en": {"subscribed": "Subscribed", "signed": "Signed", "paid": "Paid", "cancelled": "Cancelled",
                      "unknown": "Unknown"}}
CHANGE_REASONS = {  # codes a branch commonly uses; a code an event names with `reason_name` shows that
    "zh-CN": {"financing_failed": "贷款未获批准", "customer_request": "客户个人原因", "price": "价格原因",
              "layout": "户型不满意", "location": "位置原因", "upgrade": "换购更大户型", "downgrade": "换购更小户型",
              "floor": "楼层调整", "orientation": "朝向调整", "quality": "质量问题", "delivery": "交付问题",
              "policy": "政策原因", "other": "其他原因", "unknown": "未说明原因"},
    "en": {"financing_failed": "Financing failed", "customer_request": "Customer's own reasons", "price": "Price",
           "layout": "Layout", "location": "Location", "upgrade": "Larger unit", "downgrade": "Smaller unit",
           "floor": "Floor", "orientation": "Orientation", "quality": "Quality", "delivery": "Delivery",
           "policy": "Policy", "other": "Other", "unknown": "No reason given"},
}
PAYOUT_KINDS = {"zh-CN": {"commission": "渠道佣金", "referral_reward": "全民营销奖励"},
                "en": {"commission": "Commission", "referral_reward": "Referral reward"}}
BENEFICIARY_TYPES = {"zh-CN": {"partner": "渠道商", "referrer": "推荐人"}, "en": {"partner": "Partner", "referrer": "Referrer"}}
COMPLAINT_CATEGORIES = {
    "zh-CN": {"quality": "质量", "service": "服务", "delivery": "交付", "sales_promise": "销售承诺", "other": "其他"},
    "en": {"quality": "Quality", "service": "Service", "delivery": "Delivery", "sales_promise": "Sales promise",
           "other": "Other"},
}
TIERS = {"zh-CN": {"core": "核心", "key": "重点", "general": "一般", "unknown": "未定层级"},
         "en": {"core": "Core", "key": "Key", "general": "General", "unknown": "No tier"}}
ARCHIVE_CATEGORIES = {"zh-CN": {"owner": "业主", "prospect": "意向客户", "member": "会员"},
                      "en": {"owner": "Owner", "prospect": "Prospect", "member": "Member"}}
RECOMMENDATIONS = {"zh-CN": {"improve": "改进", "maintain": "维持", "end": "终止"},
                   "en": {"improve": "Improve", "maintain": "Maintain", "end": "End"}}
EVAL_GRADE = {"zh-CN": "{g}级", "en": "{g}"}
UNKNOWN_PERSON = {"zh-CN": "未知人员", "en": "Unknown"}
UNKNOWN_UNIT = {"zh-CN": "未知房源", "en": "Unknown unit"}
