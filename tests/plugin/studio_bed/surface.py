"""Everything the emulated Studio offers: classes, members, enums.

The Luau emulation is generated from these tables (`luau_source()`), and refuses at boot to run if an
implementation is missing or if it implements a member that is not listed here. `test_api_dump.py`
checks every entry against Roblox's API dump, so this file is the one place to look up what the
plugin may use.

Property defaults are Luau expressions evaluated once per new instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassSpec:
    superclass: str | None
    properties: dict[str, str] = field(default_factory=dict)  # name -> Luau default expression
    methods: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()  # properties scripts cannot assign
    creatable: bool = False  # Instance.new allowed
    service: bool = False  # game:GetService allowed


GUI_OBJECT_PROPS = {
    "Active": "false",
    "AnchorPoint": "Vector2.new(0, 0)",
    "AutomaticSize": "Enum.AutomaticSize.None",
    "BackgroundColor3": "Color3.fromRGB(163, 162, 165)",
    "BackgroundTransparency": "0",
    "BorderColor3": "Color3.fromRGB(27, 42, 53)",
    "BorderSizePixel": "1",
    "ClipsDescendants": "false",
    "Interactable": "true",
    "LayoutOrder": "0",
    "Position": "UDim2.new(0, 0, 0, 0)",
    "Rotation": "0",
    "Selectable": "false",
    "Size": "UDim2.new(0, 0, 0, 0)",
    "Visible": "true",
    "ZIndex": "1",
}
TEXT_PROPS = {
    "Font": "Enum.Font.Legacy",
    "FontFace": "Font.fromEnum(Enum.Font.Legacy)",
    "LineHeight": "1",
    "MaxVisibleGraphemes": "-1",
    "RichText": "false",
    "Text": '""',
    "TextColor3": "Color3.fromRGB(27, 42, 53)",
    "TextScaled": "false",
    "TextSize": "8",
    "TextStrokeColor3": "Color3.new(0, 0, 0)",
    "TextStrokeTransparency": "1",
    "TextTransparency": "0",
    "TextTruncate": "Enum.TextTruncate.None",
    "TextWrapped": "false",
    "TextXAlignment": "Enum.TextXAlignment.Center",
    "TextYAlignment": "Enum.TextYAlignment.Center",
}
IMAGE_PROPS = {
    "Image": '""',
    "ImageColor3": "Color3.new(1, 1, 1)",
    "ImageRectOffset": "Vector2.new(0, 0)",
    "ImageRectSize": "Vector2.new(0, 0)",
    "ImageTransparency": "0",
    "ScaleType": "Enum.ScaleType.Stretch",
}
GUI_BUTTON_EVENTS = ("Activated", "MouseButton1Click", "MouseButton1Down", "MouseButton1Up", "MouseButton2Click")
GUI_BUTTON_PROPS = {"AutoButtonColor": "true", "Modal": "false", "Selected": "false"}

CLASSES: dict[str, ClassSpec] = {
    "Object": ClassSpec(
        None,
        properties={"ClassName": '""'},
        methods=("IsA", "GetPropertyChangedSignal"),
        events=("Changed",),
        read_only=("ClassName",),
    ),
    "Instance": ClassSpec(
        "Object",
        properties={"Name": '""', "Parent": "nil", "Archivable": "true"},
        methods=(
            "FindFirstChild",
            "FindFirstChildOfClass",
            "FindFirstChildWhichIsA",
            "FindFirstAncestor",
            "FindFirstAncestorOfClass",
            "FindFirstAncestorWhichIsA",
            "WaitForChild",
            "GetChildren",
            "GetDescendants",
            "IsDescendantOf",
            "IsAncestorOf",
            "GetFullName",
            "Clone",
            "Destroy",
            "ClearAllChildren",
            "GetAttribute",
            "SetAttribute",
            "GetAttributes",
            "GetAttributeChangedSignal",
        ),
        events=("ChildAdded", "ChildRemoved", "DescendantAdded", "DescendantRemoving", "AncestryChanged", "Destroying"),
    ),
    "DataModel": ClassSpec(
        "Instance",
        properties={"PlaceId": "0", "GameId": "0", "JobId": '""', "CreatorId": "0"},
        methods=("GetService", "FindService"),
        read_only=("PlaceId", "GameId", "JobId", "CreatorId"),
    ),
    "Workspace": ClassSpec("Instance", service=True),
    "Folder": ClassSpec("Instance", creatable=True),
    "Script": ClassSpec("Instance", properties={"Source": '""', "Disabled": "false"}, creatable=True),
    "ModuleScript": ClassSpec("Instance", properties={"Source": '""'}, creatable=True),
    "StringValue": ClassSpec("Instance", properties={"Value": '""'}, creatable=True),
    "BoolValue": ClassSpec("Instance", properties={"Value": "false"}, creatable=True),
    "NumberValue": ClassSpec("Instance", properties={"Value": "0"}, creatable=True),
    "IntValue": ClassSpec("Instance", properties={"Value": "0"}, creatable=True),
    "ObjectValue": ClassSpec("Instance", properties={"Value": "nil"}, creatable=True),
    "BindableEvent": ClassSpec("Instance", methods=("Fire",), events=("Event",), creatable=True),
    # --- plugin objects
    "Plugin": ClassSpec(
        "Instance",
        methods=(
            "CreateToolbar",
            "CreateDockWidgetPluginGui",
            "CreateDockWidgetPluginGuiAsync",
            "GetSetting",
            "SetSetting",
            "Activate",
            "Deactivate",
            "IsActivated",
        ),
        events=("Unloading", "Deactivation"),
    ),
    "PluginToolbar": ClassSpec("Instance", methods=("CreateButton",)),
    "PluginToolbarButton": ClassSpec(
        "Instance",
        properties={"Enabled": "true", "ClickableWhenViewportHidden": "false", "Icon": '""'},
        methods=("SetActive",),
        events=("Click",),
    ),
    "LayerCollector": ClassSpec(
        "Instance",
        properties={
            "Enabled": "true",
            "ZIndexBehavior": "Enum.ZIndexBehavior.Sibling",
            "AbsoluteSize": "Vector2.new(0, 0)",
        },
        read_only=("AbsoluteSize",),
    ),
    "PluginGui": ClassSpec("LayerCollector", properties={"Title": '""'}, methods=("BindToClose",)),
    "DockWidgetPluginGui": ClassSpec(
        "PluginGui", properties={"HostWidgetWasRestored": "false"}, read_only=("HostWidgetWasRestored",)
    ),
    "ScreenGui": ClassSpec("LayerCollector", properties={"DisplayOrder": "0", "ResetOnSpawn": "true"}, creatable=True),
    # --- UI
    "GuiObject": ClassSpec(
        "Instance",
        properties={**GUI_OBJECT_PROPS, "AbsoluteSize": "Vector2.new(0, 0)", "AbsolutePosition": "Vector2.new(0, 0)"},
        events=("InputBegan", "InputEnded", "InputChanged", "MouseEnter", "MouseLeave"),
        read_only=("AbsoluteSize", "AbsolutePosition"),
    ),
    "Frame": ClassSpec("GuiObject", creatable=True),
    "ScrollingFrame": ClassSpec(
        "GuiObject",
        properties={
            "AutomaticCanvasSize": "Enum.AutomaticSize.None",
            "ClipsDescendants": "true",
            "CanvasPosition": "Vector2.new(0, 0)",
            "CanvasSize": "UDim2.new(0, 0, 2, 0)",
            "ScrollBarImageColor3": "Color3.new(1, 1, 1)",
            "ScrollBarImageTransparency": "0",
            "ScrollBarThickness": "12",
            "ScrollingDirection": "Enum.ScrollingDirection.XY",
            "ScrollingEnabled": "true",
            "VerticalScrollBarInset": "Enum.ScrollBarInset.None",
            "HorizontalScrollBarInset": "Enum.ScrollBarInset.None",
            "AbsoluteCanvasSize": "Vector2.new(0, 0)",
            "AbsoluteWindowSize": "Vector2.new(0, 0)",
        },
        read_only=("AbsoluteCanvasSize", "AbsoluteWindowSize"),
        creatable=True,
    ),
    "TextLabel": ClassSpec(
        "GuiObject",
        properties={**TEXT_PROPS, "TextBounds": "Vector2.new(0, 0)"},
        read_only=("TextBounds",),
        creatable=True,
    ),
    "GuiButton": ClassSpec("GuiObject", properties=GUI_BUTTON_PROPS, events=GUI_BUTTON_EVENTS),
    "TextButton": ClassSpec(
        "GuiButton",
        properties={**TEXT_PROPS, "TextBounds": "Vector2.new(0, 0)"},
        read_only=("TextBounds",),
        creatable=True,
    ),
    "TextBox": ClassSpec(
        "GuiObject",
        properties={
            **TEXT_PROPS,
            "TextBounds": "Vector2.new(0, 0)",
            "ClearTextOnFocus": "true",
            "CursorPosition": "1",
            "MultiLine": "false",
            "PlaceholderColor3": "Color3.fromRGB(178, 178, 178)",
            "PlaceholderText": '""',
            "TextEditable": "true",
        },
        methods=("CaptureFocus", "ReleaseFocus", "IsFocused"),
        events=("FocusLost", "Focused", "ReturnPressedFromOnScreenKeyboard"),
        read_only=("TextBounds",),
        creatable=True,
    ),
    "ImageLabel": ClassSpec("GuiObject", properties=IMAGE_PROPS, creatable=True),
    "ImageButton": ClassSpec("GuiButton", properties=IMAGE_PROPS, creatable=True),
    "UIComponent": ClassSpec("Instance"),
    "UIGridStyleLayout": ClassSpec(
        "UIComponent",
        properties={
            "AbsoluteContentSize": "Vector2.new(0, 0)",
            "FillDirection": "Enum.FillDirection.Horizontal",
            "HorizontalAlignment": "Enum.HorizontalAlignment.Left",
            "SortOrder": "Enum.SortOrder.LayoutOrder",
            "VerticalAlignment": "Enum.VerticalAlignment.Top",
        },
        read_only=("AbsoluteContentSize",),
    ),
    "UIListLayout": ClassSpec(
        "UIGridStyleLayout",
        properties={"Padding": "UDim.new(0, 0)", "Wraps": "false"},
        creatable=True,
    ),
    "UIGridLayout": ClassSpec(
        "UIGridStyleLayout",
        properties={
            "CellPadding": "UDim2.new(0, 5, 0, 5)",
            "CellSize": "UDim2.new(0, 100, 0, 100)",
            "FillDirectionMaxCells": "0",
        },
        creatable=True,
    ),
    "UIPadding": ClassSpec(
        "UIComponent",
        properties={p: "UDim.new(0, 0)" for p in ("PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight")},
        creatable=True,
    ),
    "UICorner": ClassSpec("UIComponent", properties={"CornerRadius": "UDim.new(0, 8)"}, creatable=True),
    "UIStroke": ClassSpec(
        "UIComponent",
        properties={
            "ApplyStrokeMode": "Enum.ApplyStrokeMode.Contextual",
            "Color": "Color3.new(0, 0, 0)",
            "Enabled": "true",
            "Thickness": "1",
            "Transparency": "0",
        },
        creatable=True,
    ),
    "UISizeConstraint": ClassSpec(
        "UIComponent",
        properties={"MinSize": "Vector2.new(0, 0)", "MaxSize": "Vector2.new(math.huge, math.huge)"},
        creatable=True,
    ),
    "UITextSizeConstraint": ClassSpec(
        "UIComponent", properties={"MinTextSize": "1", "MaxTextSize": "100"}, creatable=True
    ),
    "UIAspectRatioConstraint": ClassSpec("UIComponent", properties={"AspectRatio": "1"}, creatable=True),
    "UIFlexItem": ClassSpec("UIComponent", properties={"FlexMode": "Enum.UIFlexMode.None"}, creatable=True),
    # --- services
    "HttpService": ClassSpec(
        "Instance",
        properties={"HttpEnabled": "true"},
        methods=("JSONEncode", "JSONDecode", "GenerateGUID", "UrlEncode", "CreateWebStreamClient"),
        read_only=("HttpEnabled",),
        service=True,
    ),
    "WebStreamClient": ClassSpec(
        "Object",
        properties={"ConnectionState": "Enum.WebStreamClientState.Connecting"},
        methods=("Send", "Close"),
        events=("Opened", "MessageReceived", "Closed", "Error"),
        read_only=("ConnectionState",),
    ),
    "DataStoreService": ClassSpec(
        "Instance",
        methods=(
            "GetDataStore",
            "GetGlobalDataStore",
            "GetOrderedDataStore",
            "ListDataStoresAsync",
            "GetRequestBudgetForRequestType",
        ),
        service=True,
    ),
    "GlobalDataStore": ClassSpec(
        "Instance", methods=("GetAsync", "SetAsync", "UpdateAsync", "IncrementAsync", "RemoveAsync")
    ),
    "DataStore": ClassSpec(
        "GlobalDataStore",
        methods=(
            "ListKeysAsync",
            "ListVersionsAsync",
            "GetVersionAsync",
            "GetVersionAtTimeAsync",
            "RemoveVersionAsync",
        ),
    ),
    "OrderedDataStore": ClassSpec("GlobalDataStore", methods=("GetSortedAsync",)),
    "DataStoreOptions": ClassSpec("Instance", properties={"AllScopes": "false"}, creatable=True),
    "DataStoreKeyInfo": ClassSpec(
        "Instance",
        properties={"Version": '""', "CreatedTime": "0", "UpdatedTime": "0"},
        methods=("GetUserIds", "GetMetadata"),
        read_only=("Version", "CreatedTime", "UpdatedTime"),
    ),
    "DataStoreSetOptions": ClassSpec("Instance", methods=("SetMetadata", "GetMetadata"), creatable=True),
    "DataStoreIncrementOptions": ClassSpec("Instance", methods=("SetMetadata", "GetMetadata"), creatable=True),
    "Pages": ClassSpec(
        "Instance",
        properties={"IsFinished": "false"},
        methods=("GetCurrentPage", "AdvanceToNextPageAsync"),
        read_only=("IsFinished",),
    ),
    "DataStoreListingPages": ClassSpec("Pages", properties={"Cursor": '""'}, read_only=("Cursor",)),
    "DataStoreKeyPages": ClassSpec("Pages", properties={"Cursor": '""'}, read_only=("Cursor",)),
    "DataStoreVersionPages": ClassSpec("Pages"),
    "DataStorePages": ClassSpec("Pages"),
    "DataStoreInfo": ClassSpec(
        "Instance",
        properties={"DataStoreName": '""', "CreatedTime": "0", "UpdatedTime": "0"},
        read_only=("DataStoreName", "CreatedTime", "UpdatedTime"),
    ),
    "DataStoreKey": ClassSpec("Instance", properties={"KeyName": '""'}, read_only=("KeyName",)),
    "DataStoreObjectVersionInfo": ClassSpec(
        "Instance",
        properties={"Version": '""', "CreatedTime": "0", "IsDeleted": "false"},
        read_only=("Version", "CreatedTime", "IsDeleted"),
    ),
    "StudioService": ClassSpec(
        "Instance",
        properties={"StudioLocaleId": '"en-us"'},
        methods=("GetUserId",),
        read_only=("StudioLocaleId",),
        service=True,
    ),
    "RunService": ClassSpec(
        "Instance",
        methods=("IsStudio", "IsEdit", "IsRunning", "IsRunMode", "IsServer", "IsClient"),
        events=("Heartbeat",),
        service=True,
    ),
    "Players": ClassSpec(
        "Instance",
        properties={"LocalPlayer": "nil", "MaxPlayers": "0"},
        methods=("GetPlayers",),
        read_only=("LocalPlayer", "MaxPlayers"),
        service=True,
    ),
    "TweenService": ClassSpec("Instance", methods=("Create",), service=True),
    "TweenBase": ClassSpec(
        "Instance",
        properties={"PlaybackState": "Enum.PlaybackState.Begin"},
        methods=("Play", "Cancel", "Pause"),
        events=("Completed",),
        read_only=("PlaybackState",),
    ),
    "Tween": ClassSpec("TweenBase"),
    "GlobalSettings": ClassSpec("Instance"),
    "Studio": ClassSpec(
        "Instance", properties={"Theme": "nil"}, methods=("GetAvailableThemes",), events=("ThemeChanged",)
    ),
    "StudioTheme": ClassSpec("Instance", methods=("GetColor",)),
}

ENUMS: dict[str, dict[str, int]] = {
    "ApplyStrokeMode": {"Contextual": 0, "Border": 1},
    "AutomaticSize": {"None": 0, "X": 1, "Y": 2, "XY": 3},
    "DataStoreRequestType": {
        "GetAsync": 0,
        "SetIncrementAsync": 1,
        "UpdateAsync": 2,
        "GetSortedAsync": 3,
        "SetIncrementSortedAsync": 4,
        "OnUpdate": 5,
        "ListAsync": 6,
        "GetVersionAsync": 7,
        "RemoveVersionAsync": 8,
        "StandardRead": 9,
        "StandardWrite": 10,
        "StandardList": 11,
        "StandardRemove": 12,
        "OrderedRead": 13,
        "OrderedWrite": 14,
        "OrderedList": 15,
        "OrderedRemove": 16,
    },
    "EasingDirection": {"In": 0, "Out": 1, "InOut": 2},
    "EasingStyle": {
        "Linear": 0,
        "Sine": 1,
        "Back": 2,
        "Quad": 3,
        "Quart": 4,
        "Quint": 5,
        "Exponential": 8,
        "Cubic": 10,
    },
    "FillDirection": {"Horizontal": 0, "Vertical": 1},
    "Font": {
        "Legacy": 0,
        "Arial": 1,
        "ArialBold": 2,
        "SourceSans": 3,
        "SourceSansBold": 4,
        "SourceSansLight": 5,
        "SourceSansItalic": 6,
        "Code": 10,
        "SourceSansSemibold": 16,
        "Gotham": 17,
        "GothamMedium": 18,
        "GothamBold": 19,
        "Roboto": 39,
        "RobotoMono": 41,
        "BuilderSans": 46,
        "BuilderSansMedium": 47,
        "BuilderSansBold": 48,
    },
    "FontWeight": {"Light": 300, "Regular": 400, "Medium": 500, "SemiBold": 600, "Bold": 700},
    "FontStyle": {"Normal": 0, "Italic": 1},
    "HorizontalAlignment": {"Center": 0, "Left": 1, "Right": 2},
    "InitialDockState": {"Top": 0, "Bottom": 1, "Left": 2, "Right": 3, "Float": 4},
    "PlaybackState": {"Begin": 0, "Delayed": 1, "Playing": 2, "Paused": 3, "Completed": 4, "Cancelled": 5},
    "ScaleType": {"Stretch": 0, "Slice": 1, "Tile": 2, "Fit": 3, "Crop": 4},
    "ScrollBarInset": {"None": 0, "ScrollBar": 1, "Always": 2},
    "ScrollingDirection": {"X": 1, "Y": 2, "XY": 4},
    "SortDirection": {"Ascending": 0, "Descending": 1},
    "SortOrder": {"Name": 0, "LayoutOrder": 2},
    # Every item of Roblox's enum (values as in the API dump: 0..119, then 128..138 with gaps), so a theme file
    # with all of Studio's colors can answer GetColor for each.
    "StudioStyleGuideColor": {
        **{
            name: value
            for value, name in enumerate(
                "MainBackground Titlebar Dropdown Tooltip Notification ScrollBar ScrollBarBackground TabBar Tab "
                "FilterButtonDefault FilterButtonHover FilterButtonChecked FilterButtonAccent FilterButtonBorder "
                "FilterButtonBorderAlt RibbonTab RibbonTabTopBar Button MainButton RibbonButton ViewPortBackground "
                "InputFieldBackground Item TableItem CategoryItem GameSettingsTableItem GameSettingsTooltip "
                "EmulatorBar EmulatorDropDown ColorPickerFrame CurrentMarker Border DropShadow Shadow Light Dark Mid "
                "MainText SubText TitlebarText BrightText DimmedText LinkText WarningText ErrorText InfoText "
                "SensitiveText ScriptSideWidget ScriptBackground ScriptText ScriptSelectionText "
                "ScriptSelectionBackground ScriptFindSelectionBackground ScriptMatchingWordSelectionBackground "
                "ScriptOperator ScriptNumber ScriptString ScriptComment ScriptKeyword ScriptBuiltInFunction "
                "ScriptWarning ScriptError ScriptInformation ScriptHint ScriptWhitespace ScriptRuler "
                "DocViewCodeBackground DebuggerCurrentLine DebuggerErrorLine DiffFilePathText DiffTextHunkInfo "
                "DiffTextNoChange DiffTextAddition DiffTextDeletion DiffTextSeparatorBackground "
                "DiffTextNoChangeBackground DiffTextAdditionBackground DiffTextDeletionBackground DiffLineNum "
                "DiffLineNumSeparatorBackground DiffLineNumNoChangeBackground DiffLineNumAdditionBackground "
                "DiffLineNumDeletionBackground DiffFilePathBackground DiffFilePathBorder ChatIncomingBgColor "
                "ChatIncomingTextColor ChatOutgoingBgColor ChatOutgoingTextColor ChatModeratedMessageColor Separator "
                "ButtonBorder ButtonText InputFieldBorder CheckedFieldBackground CheckedFieldBorder "
                "CheckedFieldIndicator HeaderSection Midlight StatusBar DialogButton DialogButtonText "
                "DialogButtonBorder DialogMainButton DialogMainButtonText InfoBarWarningBackground "
                "InfoBarWarningText ScriptEditorCurrentLine ScriptMethod ScriptProperty ScriptNil ScriptBool "
                "ScriptFunction ScriptLocal ScriptSelf ScriptLuauKeyword ScriptFunctionName ScriptTodo ScriptBracket "
                "AttributeCog".split()
            )
        },
        "AICOOverlayText": 128,
        "AICOOverlayButtonBackground": 129,
        "AICOOverlayButtonBackgroundHover": 130,
        "AICOOverlayButtonBackgroundPressed": 131,
        "OnboardingCover": 132,
        "OnboardingHighlight": 133,
        "OnboardingShadow": 134,
        "BreakpointMarker": 136,
        "DiffLineNumHover": 137,
        "DiffLineNumSeparatorBackgroundHover": 138,
    },
    "StudioStyleGuideModifier": {"Default": 0, "Selected": 1, "Pressed": 2, "Disabled": 3, "Hover": 4},
    "TextTruncate": {"None": 0, "AtEnd": 1, "SplitWord": 2},
    "TextXAlignment": {"Left": 0, "Right": 1, "Center": 2},
    "TextYAlignment": {"Top": 0, "Center": 1, "Bottom": 2},
    "UIFlexMode": {"None": 0, "Grow": 1, "Shrink": 2, "Fill": 3, "Custom": 4},
    "UserInputType": {"MouseButton1": 0, "MouseButton2": 1, "MouseMovement": 4, "Keyboard": 8},
    "KeyCode": {"Return": 13, "Escape": 27, "Tab": 9},
    "VerticalAlignment": {"Center": 0, "Top": 1, "Bottom": 2},
    "WebStreamClientState": {"Connecting": 0, "Open": 1, "Error": 2, "Closed": 3},
    "WebStreamClientType": {"SSE": 0, "RawStream": 1, "WebSocket": 2},
    "ZIndexBehavior": {"Global": 0, "Sibling": 1},
}

# Roblox globals that are datatypes or libraries rather than classes (not in the API dump's classes).
DATATYPES = (
    "Color3",
    "UDim",
    "UDim2",
    "Vector2",
    "Vector3",
    "Rect",
    "NumberRange",
    "TweenInfo",
    "Font",
    "DateTime",
    "DockWidgetPluginGuiInfo",
)
DEPRECATED_GLOBALS = ("wait", "spawn", "delay")


def _luau_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def luau_source() -> str:
    """The class and enum tables as a Luau chunk returning `{classes=..., enums=...}`."""
    out = ["local classes = {}"]
    for name, spec in CLASSES.items():
        props = ", ".join(f"[{_luau_string(p)}] = function() return {expr} end" for p, expr in spec.properties.items())
        out.append(
            f"classes[{_luau_string(name)}] = {{ name = {_luau_string(name)}, "
            f"superclass = {_luau_string(spec.superclass) if spec.superclass else 'nil'}, "
            f"defaults = {{ {props} }}, "
            f"methods = {{ {', '.join(_luau_string(m) for m in spec.methods)} }}, "
            f"events = {{ {', '.join(_luau_string(e) for e in spec.events)} }}, "
            f"readOnly = {{ {', '.join(_luau_string(r) for r in spec.read_only)} }}, "
            f"creatable = {'true' if spec.creatable else 'false'}, service = {'true' if spec.service else 'false'} }}"
        )
    out.append("local enums = {}")
    for name, items in ENUMS.items():
        body = ", ".join(f"{{ {_luau_string(i)}, {v} }}" for i, v in items.items())
        out.append(f"enums[{_luau_string(name)}] = {{ {body} }}")
    out.append("return { classes = classes, enums = enums }")
    return "\n".join(out)
