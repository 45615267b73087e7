"""Owner feedback texts for the demo, per pledge team, in Chinese and English (written for this project).

Slots: {model} car model, {city} a city, {n} a small number.
"""

ZH = {
    "sales": [
        "在{city}门店问 {model} 的落地价，销售说的价格和官网不一样，还要加{n}千的“金融服务费”，请问这合理吗？",
        "预约了周六在{city}试驾 {model}，到店后说车被别人开走了，白跑一趟，希望能有个说法。",
        "销售顾问承诺送的充电桩安装和脚垫，提车时说没有这个政策，合同里也没写，怎么处理？",
        "想了解 {model} 老车主增购有没有优惠，门店说要等通知，已经等了{n}周没人回复。",
        "在线上订了 {model}，门店又打电话说要改去另一家店签合同，流程太乱了。",
        "定金交了{n}天，销售一直不回微信，想问下能不能换一个顾问。",
    ],
    "delivery": [
        "{model} 锁单时说{n}周交付，现在已经超过一个月了还没有排产信息，交付专员也联系不上。",
        "提车时发现后保险杠有划痕，交付中心说回头处理，到现在也没人跟进。",
        "交付时没有讲解辅助驾驶和 App 钥匙怎么用，回家自己摸索了半天。",
        "交付日期一推再推，已经改了{n}次，我的旧车已经卖了，每天打车上班，希望给个准确时间。",
        "在{city}交付中心提车，临时被告知临牌要自己去办，之前说好的代办服务呢？",
        "新车交付后第二天发现副驾车窗异响，回访电话一直没打过来。",
    ],
    "after_sales": [
        "在{city}的服务中心做保养，等了{n}个小时还没好，工单进度在 App 里一直显示“待派工”。",
        "保养报价单上多了一项“空调深度清洁”，没有征求我同意就做了，要求退款。",
        "昨晚高速上胎压报警，打救援电话等了一个多小时才有人接，太让人失望了。",
        "钣金维修后车门缝隙明显不一致，返修了{n}次还是这样。",
        "预约取送车服务，约好上午 9 点来取，一直等到中午没人来，也没有电话通知。",
        "售后说配件要等{n}周才到，车一直停在店里，能不能提供代步车？",
        "维修后发现车内有烟味和脚印，对服务中心的管理很失望。",
    ],
    "charging": [
        "{city}的品牌超充站{n}号桩一直充不上电，屏幕显示通讯故障，已经坏了好几天。",
        "超充站被燃油车占位，现场没有人管理，打客服也没用。",
        "家充桩安装排期太慢了，提车{n}周了还没装上，每天只能去公共桩。",
        "App 显示超充站空闲，到了现场发现全部在维护，白跑了二十公里。",
        "充电桩扣费不对，充了 40 度电却扣了{n}0 元，麻烦核实一下。",
        "冬天在高速服务区的充电站充电特别慢，只有 30kW 左右，是车的问题还是桩的问题？",
    ],
    "app_connectivity": [
        "OTA 升级后 App 蓝牙钥匙经常失灵，走到车边解不了锁，要拿出手机重新连接。",
        "车机 CarPlay 连接断开，每次上车都要重新配对，{model} 用户，升级到最新版本了。",
        "App 远程空调点了没反应，提示“车辆离线”，但车就停在地库里信号满格。",
        "车机导航经常卡顿，语音助手识别不了我说的地名。",
        "手机换了以后 App 里的车辆授权转不过来，客服让我等{n}天。",
        "OTA 推送的更新说明太简单了，不知道改了什么，希望写清楚。",
        "车机蓝牙音乐断断续续，手机是最新的 iPhone。",
    ],
    "assisted_driving": [
        "高速领航在匝道汇入时犹豫不决，后车差点追尾，{model} 最新版本。",
        "自动泊车识别不了{city}小区的斜列车位，试了{n}次都失败。",
        "车道保持在弯道经常压线，感觉比上个版本退步了。",
        "城市 NOA 遇到施工路段会突然急刹，已经发生两次了，希望尽快分析。",
        "激光雷达版本的 {model}，自适应巡航跟车距离忽远忽近，乘客容易晕车。",
        "辅助驾驶经常误报“请握住方向盘”，我的手一直在方向盘上。",
    ],
    "vehicle_quality": [
        "{model} 下雨后后备箱进水，垫子下面都是水，车才开了{n}千公里。",
        "车子停了一晚上地上有油渍，不知道是哪里漏油，是不是质量问题？",
        "仪表盘故障灯亮了，显示“动力系统故障，请联系售后”，车能开但加速无力。",
        "过减速带时底盘有异响，前悬挂位置，已经持续一个月了。",
        "天窗密封条老化漏水，这车才买一年。",
        "空调出风有异味，换了滤芯也没用。",
        "中控屏出现黑屏重启，一周{n}次，开车时很危险。",
    ],
    "finance_insurance": [
        "贷款合同里的利率和销售口头说的不一样，多了{n}个点，请给解释。",
        "续保的报价比去年贵了很多，没有出险记录，能不能重新核算？",
        "理赔已经提交{n}周了，一直显示“审核中”，没有任何进度通知。",
        "提前还贷要收违约金，购车时没人告诉过我。",
        "发票开错了抬头，申请重开一直没人处理。",
        "想把车险转到官方渠道，但 App 里找不到入口。",
    ],
    "community_events": [
        "{city}车主活动报名成功了，临出发前一天才通知取消，酒店都订好了。",
        "积分商城兑换的周边一个月还没发货。",
        "希望在{city}多组织亲子类的车友活动，周末带孩子参加。",
        "车主共创会的直播回放在哪里能看到？",
        "推荐朋友购车的积分奖励没到账，已经过去{n}周了。",
        "车友会活动名额太少，每次一放出来就抢光了。",
    ],
}

EN = {
    "sales": [
        "The price quoted at the {city} store for the {model} did not match the website; they added a 'service fee'.",
        "I booked a test drive for Saturday and the car was not there when I arrived.",
        "My sales advisor has not replied for {n} days since I paid the deposit.",
    ],
    "delivery": [
        "My {model} was promised in {n} weeks; it has been over a month and nobody can tell me a date.",
        "There was a scratch on the rear bumper at delivery and no one followed up as promised.",
        "The delivery date has moved {n} times; I already sold my old car.",
    ],
    "after_sales": [
        "Waited {n} hours at the service centre in {city}; the app still says 'waiting for a technician'.",
        "They charged me for an AC cleaning I never agreed to during the service.",
        "Roadside assistance took over an hour to answer the phone on the highway at night.",
    ],
    "charging": [
        "Charger {n} at the {city} supercharging station has shown a communication error for days.",
        "Petrol cars keep blocking the supercharger bays and nobody manages the site.",
        "I was billed for far more kWh than I charged; please check the session.",
    ],
    "app_connectivity": [
        "Since the last OTA the Bluetooth key often fails; I have to reopen the app to unlock.",
        "CarPlay disconnects every time I start the car, {model}, latest software.",
        "Remote climate says the car is offline although it has full signal in the garage.",
    ],
    "assisted_driving": [
        "Highway pilot hesitates when merging from the ramp; the car behind nearly hit us.",
        "Auto-park fails on angled bays in my building, tried {n} times.",
        "Lane keeping drifts over the line in curves since the update.",
    ],
    "vehicle_quality": [
        "Water gets into the boot of my {model} after rain; only {n}k km on the clock.",
        "There is an oil stain under the car every morning. Is something leaking?",
        "A knocking noise from the front suspension over speed bumps for a month now.",
    ],
    "finance_insurance": [
        "The interest rate in my loan contract is higher than the one the sales advisor told me.",
        "My insurance claim has been 'under review' for {n} weeks with no update.",
        "I was charged an early repayment fee nobody mentioned when I bought the car.",
    ],
    "community_events": [
        "The owners' event in {city} was cancelled the day before; I had already booked a hotel.",
        "My points-shop order has not shipped after a month.",
        "Referral points for my friend's purchase never arrived.",
    ],
}

CITIES_ZH = ["北京", "上海", "杭州", "深圳", "成都", "宁波", "武汉", "西安", "丽江", "广州"]
CITIES_EN = ["Beijing", "Shanghai", "Hangzhou", "Shenzhen", "Chengdu", "Ningbo", "Wuhan"]
REPLIES_ZH = ["你好，感谢反馈，我们已收到并安排专人跟进，会尽快给你答复。",
              "你好，非常抱歉给你带来不便，我们已联系相关门店核实情况。",
              "你好，问题已记录，工程师正在分析，有进展会第一时间通知你。"]
REPLIES_EN = ["Thank you for telling us. A specialist is on it and will get back to you shortly.",
              "Sorry for the trouble. We have contacted the store to check what happened.",
              "Noted. Our engineers are looking into it; we will update you here."]
RESOLUTIONS_ZH = ["已与门店核实并处理完毕，相关费用已退回，感谢你的耐心。",
                  "问题已修复，后续如有反复请随时联系我们。",
                  "已为你安排补偿方案，详情已短信发送。"]
RESOLUTIONS_EN = ["Checked with the store and settled; the fee has been refunded.",
                  "Fixed. Tell us if it happens again.",
                  "We have arranged compensation; details were sent by text message."]
