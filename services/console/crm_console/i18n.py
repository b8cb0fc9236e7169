"""Chinese first, English switchable. `t(key)` in templates; unknown keys show the key."""

from __future__ import annotations

LOCALES = ("zh-CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # shell
    "app.title": {"zh-CN": "销售案场 CRM", "en": "Sales office CRM"},
    "nav.front_desk": {"zh-CN": "来访登记", "en": "Front desk"},
    "nav.my_day": {"zh-CN": "我的一天", "en": "My day"},
    "nav.leads": {"zh-CN": "客户", "en": "Leads"},
    "nav.partner": {"zh-CN": "渠道报备", "en": "Partner portal"},
    "nav.manager": {"zh-CN": "经理看板", "en": "Manager board"},
    "nav.sign_out": {"zh-CN": "退出", "en": "Sign out"},
    "nav.language": {"zh-CN": "English", "en": "中文"},
    "nav.branch": {"zh-CN": "案场", "en": "Branch"},
    # sign-in
    "signin.title": {"zh-CN": "登录（开发环境）", "en": "Sign in (development)"},
    "signin.branch": {"zh-CN": "选择案场", "en": "Branch"},
    "signin.person": {"zh-CN": "选择人员", "en": "Person"},
    "signin.partner": {"zh-CN": "渠道（合作方）编号", "en": "Partner id"},
    "signin.as_partner": {"zh-CN": "以渠道身份登录", "en": "Sign in as partner"},
    "signin.as_admin": {"zh-CN": "以管理员身份登录（所有案场）", "en": "Sign in as admin (all branches)"},
    "signin.submit": {"zh-CN": "登录", "en": "Sign in"},
    "signin.proxy": {"zh-CN": "请通过单点登录访问控制台。", "en": "Sign in through your organisation's single sign-on."},
    "signin.no_branches": {"zh-CN": "还没有案场。请先用管理员身份创建案场。", "en": "No branches yet. Sign in as admin and create one."},
    "role.admin": {"zh-CN": "管理员", "en": "Admin"},
    "role.manager": {"zh-CN": "销售经理", "en": "Sales manager"},
    "role.consultant": {"zh-CN": "置业顾问", "en": "Consultant"},
    "role.reception": {"zh-CN": "前台", "en": "Reception"},
    "role.partner": {"zh-CN": "渠道", "en": "Partner"},
    "role.integrator": {"zh-CN": "集成方", "en": "Integrator"},
    # common
    "common.save": {"zh-CN": "保存", "en": "Save"},
    "common.submit": {"zh-CN": "提交", "en": "Submit"},
    "common.cancel": {"zh-CN": "取消", "en": "Cancel"},
    "common.none": {"zh-CN": "暂无", "en": "None"},
    "common.error": {"zh-CN": "出错了", "en": "Something went wrong"},
    "common.done": {"zh-CN": "已完成", "en": "Done"},
    "common.name": {"zh-CN": "姓名", "en": "Name"},
    "common.phone": {"zh-CN": "手机号", "en": "Phone"},
    "common.gender": {"zh-CN": "性别", "en": "Gender"},
    "common.status": {"zh-CN": "状态", "en": "Status"},
    "common.time": {"zh-CN": "时间", "en": "Time"},
    "common.note": {"zh-CN": "备注", "en": "Note"},
    "common.reason": {"zh-CN": "原因", "en": "Reason"},
    "common.from": {"zh-CN": "开始日期", "en": "From"},
    "common.to": {"zh-CN": "结束日期", "en": "To"},
    "common.back": {"zh-CN": "返回", "en": "Back"},
    "error.signin": {"zh-CN": "请先登录。", "en": "Please sign in."},
    "error.forbidden": {"zh-CN": "您的角色不能使用此页面。", "en": "Your role cannot use this page."},
    "error.not_found": {"zh-CN": "页面不存在。", "en": "No such page."},
    "error.bad_input": {"zh-CN": "输入有误", "en": "Please check the input"},
}


def translate(key: str, locale: str) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(locale) or entry.get("zh-CN") or key


def register(messages: dict[str, dict[str, str]]) -> None:
    """Screens add their own strings at import time (keys must not clash)."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"console i18n keys defined twice: {sorted(clash)}")
    MESSAGES.update(messages)
